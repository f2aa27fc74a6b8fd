//! `token.auth-methods-work`: each method the configuration lists in
//! `token_endpoint_auth_methods_supported` is proven with a real token
//! request, by a client that can use it.
//!
//! The proofs cost as little as they can and still put the failure on the
//! method: the client's own method is judged by the token group's good code
//! exchange, `private_key_jwt` also by the backend client's
//! `client_credentials` request, and the other secret method by one more
//! code exchange identical to the good one but for where the secret goes.
//! (A refresh would save the authorization request, but whether its token
//! is still good after rotation and reuse detection is the server's choice,
//! so a refusal would not be the method's; `client_credentials` with a
//! secret is a grant a user-facing client need not be registered for.)
//!
//! A refusal is a failure only when the same credentials were accepted with
//! another method: otherwise the secret or the key may be what is wrong.

use url::Url;

use super::super::catalogue::AUTH_METHODS;
use super::super::flow::Client;
use super::super::flow::exchange::{self, TokenAttempt, Trial};
use super::super::model::Verdict;
use super::super::run::Run;
use crate::config::BasicAuthEncoding;
use crate::oauth::token_endpoint::{ClientAuth, SecretMethod};

const SECRET_HINT: &str = "pass --secret-stdin with --client-id of a confidential client, or -p PROFILE of client_type confidential-symmetric";
const KEY_HINT: &str = "pass -p PROFILE of client_type confidential-asymmetric or backend";
const PUBLIC_HINT: &str = "pass --client-id of a public client";

/// The user client and how its own method fared in the good exchange.
pub struct UserSide<'a> {
    pub client: &'a Client,
    /// The authorization and token endpoints, when both are usable.
    pub endpoints: Option<(&'a Url, &'a Url)>,
    pub exchange: &'a Trial,
}

/// One advertised method and what came of it.
struct Judged {
    method: String,
    how: &'static str,
    trial: Trial,
}

pub async fn run(
    run: &mut Run<'_>,
    advertised: Option<&[String]>,
    user: Option<UserSide<'_>>,
    backend: Option<&Trial>,
) {
    if !run.wants(&AUTH_METHODS) {
        return;
    }
    let Some(advertised) = advertised.filter(|a| !a.is_empty()) else {
        run.record(
            &AUTH_METHODS,
            Verdict::skip("the configuration lists no token_endpoint_auth_methods_supported"),
            vec![],
        );
        return;
    };
    let mut judged = Vec::new();
    let mut foreign = Vec::new();
    for m in advertised {
        let (how, trial) = match m.as_str() {
            "none" => match &user {
                Some(u) if matches!(u.client.auth, ClientAuth::None { .. }) => {
                    ("the code exchange", u.exchange.clone())
                }
                _ => ("", Trial::Untried(PUBLIC_HINT.into())),
            },
            "client_secret_basic" | "client_secret_post" => match &user {
                Some(u) if matches!(u.client.auth, ClientAuth::Secret { .. }) => {
                    if u.client.auth.method().as_str() == m {
                        ("the code exchange", u.exchange.clone())
                    } else {
                        ("a second code exchange", other_secret(run, u).await)
                    }
                }
                _ => ("", Trial::Untried(SECRET_HINT.into())),
            },
            "private_key_jwt" => match (&user, backend) {
                (Some(u), _) if matches!(u.client.auth, ClientAuth::Assertion { .. }) => {
                    ("the code exchange", u.exchange.clone())
                }
                (_, Some(b)) => ("the backend client's client_credentials", b.clone()),
                _ => ("", Trial::Untried(KEY_HINT.into())),
            },
            other => {
                foreign.push(other.to_owned());
                continue;
            }
        };
        judged.push(Judged {
            method: m.clone(),
            how,
            trial,
        });
    }
    let evidence = judged
        .iter()
        .flat_map(|j| match &j.trial {
            Trial::Accepted(e) | Trial::Refused(_, e) => e.clone(),
            Trial::Untried(_) => vec![],
        })
        .collect();
    run.record(&AUTH_METHODS, verdict(&judged, &foreign), evidence);
}

/// The secret method the client does not use itself, on a code of its own.
async fn other_secret(run: &Run<'_>, u: &UserSide<'_>) -> Trial {
    let (Some((authorize, token_url)), Trial::Accepted(_) | Trial::Refused(..)) =
        (u.endpoints, u.exchange)
    else {
        return match u.exchange {
            Trial::Untried(why) => Trial::Untried(why.clone()),
            _ => Trial::Untried("no usable token_endpoint".into()),
        };
    };
    let ClientAuth::Secret {
        client_id,
        secret,
        method,
    } = &u.client.auth
    else {
        return Trial::Untried(SECRET_HINT.into());
    };
    let other = ClientAuth::Secret {
        client_id: client_id.clone(),
        secret: secret.clone(),
        method: match method {
            SecretMethod::Post => SecretMethod::Basic(BasicAuthEncoding::Form),
            SecretMethod::Basic(_) => SecretMethod::Post,
        },
    };
    let (code, verifier, ex) = match exchange::fresh_code(run, authorize, u.client).await {
        Ok(x) => x,
        Err((v, _)) => return Trial::Untried(v.reason().to_owned()),
    };
    let attempt = TokenAttempt::code(u.client, &code, Some(&verifier)).authenticated(&other);
    let (o, ex2) = exchange::attempt(run, token_url, &attempt).await;
    match o {
        exchange::Outcome::Tokens => Trial::Accepted(vec![ex, ex2]),
        exchange::Outcome::Refused(e) => Trial::Refused(e, vec![ex, ex2]),
        exchange::Outcome::Broken(e) => Trial::Untried(e),
    }
}

fn is_secret(method: &str) -> bool {
    matches!(method, "client_secret_basic" | "client_secret_post")
}

fn verdict(judged: &[Judged], foreign: &[String]) -> Verdict {
    let accepted: Vec<&Judged> = judged
        .iter()
        .filter(|j| matches!(j.trial, Trial::Accepted(_)))
        .collect();
    let secret_accepted = accepted.iter().any(|j| is_secret(&j.method));
    let (mut refused, mut undecided) = (Vec::new(), Vec::new());
    for j in judged {
        match &j.trial {
            Trial::Accepted(_) => {}
            // The same secret worked in the other place: the method is
            // what the server refuses.
            Trial::Refused(e, _) if is_secret(&j.method) && secret_accepted => {
                refused.push(format!("{} ({e})", j.method));
            }
            Trial::Refused(e, _) => undecided.push(format!(
                "{} was refused ({e}) and no other method was accepted with the same credentials: check them",
                j.method
            )),
            Trial::Untried(why) => undecided.push(format!("{}: {why}", j.method)),
        }
    }
    let mut said = Vec::new();
    if !accepted.is_empty() {
        let list: Vec<String> = accepted
            .iter()
            .map(|j| format!("{} (by {})", j.method, j.how))
            .collect();
        said.push(format!("accepted: {}", list.join(", ")));
    }
    if !foreign.is_empty() {
        said.push(format!("smart check cannot try {}", foreign.join(", ")));
    }
    if !refused.is_empty() {
        let mut why = format!("advertised and refused: {}", refused.join(", "));
        for s in &said {
            why.push_str("; ");
            why.push_str(s);
        }
        return Verdict::unmet(why);
    }
    if judged.is_empty() {
        return Verdict::skip(said.join("; "));
    }
    said.extend(undecided.iter().map(|u| format!("not decided: {u}")));
    match undecided.is_empty() {
        true => Verdict::met(said.join("; ")),
        false => Verdict::skip(said.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(method: &str, trial: Trial) -> Judged {
        Judged {
            method: method.into(),
            how: "the code exchange",
            trial,
        }
    }

    #[test]
    fn a_refused_secret_method_fails_only_when_the_other_took_the_same_secret() {
        let ok = || Trial::Accepted(vec![]);
        let no = || Trial::Refused("invalid_client".into(), vec![]);
        let v = verdict(
            &[
                j("client_secret_basic", ok()),
                j("client_secret_post", no()),
            ],
            &[],
        );
        assert_eq!(
            v,
            Verdict::unmet(
                "advertised and refused: client_secret_post (invalid_client); accepted: client_secret_basic (by the code exchange)"
            )
        );
        // Both refused: the secret may be wrong, so nothing is decided.
        let v = verdict(
            &[
                j("client_secret_basic", no()),
                j("client_secret_post", no()),
            ],
            &[],
        );
        assert!(matches!(v, Verdict::Skip(_)), "{v:?}");
        // A refused private_key_jwt has no control: undecided.
        let v = verdict(
            &[j("client_secret_basic", ok()), j("private_key_jwt", no())],
            &[],
        );
        assert!(matches!(v, Verdict::Skip(_)), "{v:?}");
    }

    #[test]
    fn untried_methods_leave_it_undecided_and_say_what_to_pass() {
        let v = verdict(
            &[
                j("private_key_jwt", Trial::Accepted(vec![])),
                j("client_secret_basic", Trial::Untried(SECRET_HINT.into())),
            ],
            &["tls_client_auth".into()],
        );
        let Verdict::Skip(why) = v else {
            panic!("{v:?}")
        };
        assert!(why.contains("--secret-stdin"), "{why}");
        assert!(why.contains("cannot try tls_client_auth"), "{why}");
        // Methods smart check cannot use do not hold the check back.
        let v = verdict(
            &[j("private_key_jwt", Trial::Accepted(vec![]))],
            &["tls_client_auth".into()],
        );
        assert!(matches!(v, Verdict::Met(_)), "{v:?}");
    }
}
