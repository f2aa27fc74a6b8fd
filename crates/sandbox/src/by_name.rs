//! `--fault NAME` and `--quirk NAME` parsed, each with a hint when the name
//! is one of the other kind. Above both [`crate::faults`] and
//! [`crate::quirks`], so that neither needs the other.

use std::str::FromStr;

use crate::faults::Fault;
use crate::quirks::Quirk;

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Fault::named(s).ok_or_else(|| match Quirk::named(s) {
            Some(_) => format!("`{s}` is a quirk, not a fault: use --quirk {s}"),
            None => format!("unknown fault `{s}`; `smart sandbox --fault help` lists them"),
        })
    }
}

impl FromStr for Quirk {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Quirk::named(s).ok_or_else(|| match Fault::named(s) {
            Some(_) => format!("`{s}` is a fault, not a quirk: use --fault {s}"),
            None => format!("unknown quirk `{s}`; `smart sandbox --quirk help` lists them"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_the_other_kind_says_so() {
        let e = "jwks-rotation".parse::<Fault>().unwrap_err();
        assert!(e.contains("--quirk jwks-rotation"), "{e}");
        let e = "http-429".parse::<Quirk>().unwrap_err();
        assert!(e.contains("--fault http-429"), "{e}");
        let e = "nope".parse::<Fault>().unwrap_err();
        assert!(e.contains("unknown fault"), "{e}");
        let e = "nope".parse::<Quirk>().unwrap_err();
        assert!(e.contains("unknown quirk"), "{e}");
    }
}
