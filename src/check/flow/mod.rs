//! What a client does, as the groups need it done: authorization requests,
//! code exchanges, fresh tokens and FHIR reads. Below the groups: every
//! group may use it, it uses no group, and no group uses another.

pub mod authorization;
pub mod exchange;
pub mod read;

pub use authorization::Client;
