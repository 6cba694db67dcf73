//! Expected against found, by meaning. Each check answers ok, missing, mismatch (with what was
//! found), or duplicate (two records where one is allowed), and lists found records that
//! conflict and should be removed.

use serde::{Deserialize, Serialize};
use wire::domains::DmarcPolicy;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Missing,
    Mismatch {
        found: Vec<String>,
    },
    /// More than one record where exactly one may exist (two SPF records, two DMARC records).
    Duplicate {
        found: Vec<String>,
    },
    /// The resolvers did not answer (timeout, server failure): nothing is known.
    Error {
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// Found records that conflict with the expected one and should be removed.
    pub to_remove: Vec<String>,
}

impl Verdict {
    fn of(outcome: Outcome) -> Self {
        Self {
            outcome,
            to_remove: Vec::new(),
        }
    }
}

fn is_spf(txt: &str) -> bool {
    let t = txt.trim().to_ascii_lowercase();
    t == "v=spf1" || t.starts_with("v=spf1 ")
}

/// SPF passes when exactly one `v=spf1` record contains the required mechanism (e.g. `mx` or
/// `include:spf.example`) among any others, ignoring a `+` qualifier and case.
pub fn spf(found_txt: &[String], required: &str) -> Verdict {
    let records: Vec<String> = found_txt.iter().filter(|t| is_spf(t)).cloned().collect();
    match records.len() {
        0 => Verdict::of(Outcome::Missing),
        1 => {
            let want = required.to_ascii_lowercase();
            let has = records[0]
                .split_whitespace()
                .skip(1)
                .map(|m| m.trim_start_matches('+').to_ascii_lowercase())
                .any(|m| m == want);
            if has {
                Verdict::of(Outcome::Ok)
            } else {
                Verdict::of(Outcome::Mismatch { found: records })
            }
        }
        _ => Verdict {
            to_remove: records.clone(),
            outcome: Outcome::Duplicate { found: records },
        },
    }
}

/// The `p=` value of a DKIM record, whitespace removed.
fn dkim_key(txt: &str) -> Option<String> {
    txt.split(';')
        .map(str::trim)
        .find_map(|tag| tag.strip_prefix("p="))
        .map(|k| k.chars().filter(|c| !c.is_whitespace()).collect())
}

/// DKIM passes when a record at the selector carries the expected public key.
pub fn dkim(found_txt: &[String], expected_key: &str) -> Verdict {
    let keys: Vec<&String> = found_txt.iter().filter(|t| dkim_key(t).is_some()).collect();
    let want: String = expected_key
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if keys
        .iter()
        .any(|t| dkim_key(t).as_deref() == Some(want.as_str()))
    {
        return Verdict::of(Outcome::Ok);
    }
    if keys.is_empty() {
        Verdict::of(Outcome::Missing)
    } else {
        Verdict::of(Outcome::Mismatch {
            found: keys.into_iter().cloned().collect(),
        })
    }
}

fn dmarc_tag(txt: &str, tag: &str) -> Option<String> {
    txt.split(';')
        .map(str::trim)
        .find_map(|t| {
            t.split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(tag))
        })
        .map(|(_, v)| v.trim().to_ascii_lowercase())
}

/// DMARC passes when exactly one valid `v=DMARC1` record has the chosen policy.
pub fn dmarc(found_txt: &[String], policy: DmarcPolicy) -> Verdict {
    let records: Vec<String> = found_txt
        .iter()
        .filter(|t| t.trim_start().to_ascii_uppercase().starts_with("V=DMARC1"))
        .cloned()
        .collect();
    match records.len() {
        0 => Verdict::of(Outcome::Missing),
        1 if dmarc_tag(&records[0], "p").as_deref() == Some(policy.as_str()) => {
            Verdict::of(Outcome::Ok)
        }
        1 => Verdict::of(Outcome::Mismatch { found: records }),
        _ => Verdict {
            to_remove: records.clone(),
            outcome: Outcome::Duplicate { found: records },
        },
    }
}

fn host(h: &str) -> String {
    h.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// MX passes when the expected host is among the exchangers; other exchangers are listed to
/// remove (mail would go elsewhere).
pub fn mx(found: &[(u16, String)], expected_host: &str) -> Verdict {
    let want = host(expected_host);
    let others: Vec<String> = found
        .iter()
        .filter(|(_, h)| host(h) != want)
        .map(|(p, h)| format!("{p} {}", host(h)))
        .collect();
    if found.iter().any(|(_, h)| host(h) == want) {
        Verdict {
            outcome: Outcome::Ok,
            to_remove: others,
        }
    } else if found.is_empty() {
        Verdict::of(Outcome::Missing)
    } else {
        Verdict {
            outcome: Outcome::Mismatch {
                found: others.clone(),
            },
            to_remove: others,
        }
    }
}

/// The ownership record passes when one TXT value is exactly the expected token record.
pub fn exact_txt(found_txt: &[String], expected: &str) -> Verdict {
    if found_txt.iter().any(|t| t.trim() == expected) {
        Verdict::of(Outcome::Ok)
    } else if found_txt.is_empty() {
        Verdict::of(Outcome::Missing)
    } else {
        Verdict::of(Outcome::Mismatch {
            found: found_txt.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn spf_is_compared_by_mechanism() {
        assert_eq!(
            spf(&s(&["v=spf1 include:_spf.google.com +MX ~all"]), "mx").outcome,
            Outcome::Ok
        );
        assert_eq!(
            spf(&s(&["google-site-verification=x"]), "mx").outcome,
            Outcome::Missing
        );
        assert!(matches!(
            spf(&s(&["v=spf1 a -all"]), "mx").outcome,
            Outcome::Mismatch { .. }
        ));
        let two = spf(&s(&["v=spf1 mx -all", "v=spf1 a -all"]), "mx");
        assert!(matches!(two.outcome, Outcome::Duplicate { .. }));
        assert_eq!(two.to_remove.len(), 2);
        assert_eq!(
            spf(&s(&["v=spf10 mx"]), "mx").outcome,
            Outcome::Missing,
            "not an SPF record"
        );
    }

    #[test]
    fn dkim_is_compared_by_key() {
        let rec = "v=DKIM1; k=rsa; h=sha256; p=MIIB IjAN";
        assert_eq!(dkim(&s(&[rec]), "MIIBIjAN").outcome, Outcome::Ok);
        assert!(matches!(
            dkim(&s(&[rec]), "OTHER").outcome,
            Outcome::Mismatch { .. }
        ));
        assert_eq!(dkim(&[], "MIIB").outcome, Outcome::Missing);
    }

    #[test]
    fn dmarc_is_compared_by_policy() {
        assert_eq!(
            dmarc(
                &s(&["v=DMARC1; p=Quarantine; rua=mailto:x@y"]),
                DmarcPolicy::Quarantine
            )
            .outcome,
            Outcome::Ok
        );
        assert!(matches!(
            dmarc(&s(&["v=DMARC1; p=none"]), DmarcPolicy::Reject).outcome,
            Outcome::Mismatch { .. }
        ));
        assert!(matches!(
            dmarc(
                &s(&["v=DMARC1; p=none", "v=DMARC1; p=reject"]),
                DmarcPolicy::Reject
            )
            .outcome,
            Outcome::Duplicate { .. }
        ));
        assert_eq!(
            dmarc(&s(&["unrelated"]), DmarcPolicy::Reject).outcome,
            Outcome::Missing
        );
    }

    #[test]
    fn mx_elsewhere_is_listed_to_remove() {
        let found = vec![
            (10, "mail.dezky.example.".to_string()),
            (20, "old.mx.example".to_string()),
        ];
        let v = mx(&found, "MAIL.dezky.example");
        assert_eq!(v.outcome, Outcome::Ok);
        assert_eq!(v.to_remove, vec!["20 old.mx.example"]);
        assert!(matches!(
            mx(&found[1..], "mail.dezky.example").outcome,
            Outcome::Mismatch { .. }
        ));
        assert_eq!(mx(&[], "mail.dezky.example").outcome, Outcome::Missing);
    }
}
