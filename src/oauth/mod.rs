//! The OAuth 2.0 / SMART App Launch client: authorization request, loopback
//! callback, browser, token endpoint, id_token checks, and the stored token set.

pub mod assertion;
pub mod authorize;
pub mod browser;
pub mod callback;
pub mod id_token;
pub mod key_file;
pub mod keys;
mod loopback;
pub mod pkce;
pub mod private_jwk;
pub mod response;
pub mod scope_dialect;
pub mod token_endpoint;
pub mod token_set;
pub mod transport;

#[cfg(test)]
mod proptests;
