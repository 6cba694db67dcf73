//! Expected against found, by meaning, as mail servers judge it: SPF by mail-auth's
//! `check_host()` for the mail host's own addresses (RFC 7208), DKIM key records and DMARC
//! records by mail-auth's parsers (RFC 6376, RFC 7489), MX by host. Each check answers ok,
//! missing, mismatch (with what was found), or duplicate (two records where one is allowed),
//! lists found records that conflict and should be removed, and notes the rule that decided.

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
    /// Which rule decided, and anything worth knowing about a record that passes (`~all`,
    /// `?all`, the DMARC policy found).
    pub note: Option<String>,
}

impl Verdict {
    pub(crate) fn of(outcome: Outcome) -> Self {
        Self {
            outcome,
            to_remove: Vec::new(),
            note: None,
        }
    }

    pub(crate) fn noted(outcome: Outcome, note: impl Into<String>) -> Self {
        Self {
            outcome,
            to_remove: Vec::new(),
            note: Some(note.into()),
        }
    }
}

// ---- SPF (RFC 7208), evaluated by mail-auth -----------------------------------------------

/// A TXT record that is an SPF record: `v=spf1` alone or followed by a space (RFC 7208 §4.5,
/// case-insensitive).
fn is_spf(txt: &str) -> bool {
    let t = txt.trim().to_ascii_lowercase();
    t == "v=spf1" || t.starts_with("v=spf1 ")
}

/// The one SPF record among the TXT records at the domain, or the verdict when there is none
/// (missing) or more than one (a permanent error for every receiver, RFC 7208 §4.5).
pub fn spf_record(found_txt: &[String]) -> Result<String, Verdict> {
    let records: Vec<String> = found_txt.iter().filter(|t| is_spf(t)).cloned().collect();
    match records.len() {
        0 => Err(Verdict::of(Outcome::Missing)),
        1 => Ok(records[0].clone()),
        _ => Err(Verdict {
            to_remove: records.clone(),
            outcome: Outcome::Duplicate { found: records },
            note: Some(
                "permerror: more than one SPF record, so receivers ignore them all (RFC 7208 §4.5); keep one.".into(),
            ),
        }),
    }
}

/// The record as mail-auth parses it; the reason when it does not (a permerror).
pub fn spf_syntax(record: &str) -> Result<mail_auth::spf::Spf, String> {
    use mail_auth::common::parse::TxtRecordParser;
    mail_auth::spf::Spf::parse(record.as_bytes()).map_err(|e| {
        format!(
            "permerror: the record does not parse ({e}), so receivers ignore it (RFC 7208 §4.6)"
        )
    })
}

/// What the record says to everyone else (its `all` directive).
fn spf_all_note(spf: &mail_auth::spf::Spf) -> Option<String> {
    use mail_auth::spf::{Mechanism, Qualifier};
    let all = spf
        .directives
        .iter()
        .find(|d| matches!(d.mechanism, Mechanism::All))?;
    Some(match all.qualifier {
        Qualifier::Fail => return None,
        Qualifier::SoftFail => "Passes. Other servers get softfail (~all): receivers may still accept their mail; -all refuses it.".into(),
        Qualifier::Neutral => "Warning: ?all says nothing about other servers, so anyone can send as this domain without failing SPF; use -all.".into(),
        Qualifier::Pass => "Warning: +all authorises every server on the internet to send as this domain; use -all.".into(),
    })
}

/// The verdict of an SPF record from mail-auth's `check_host()` results for each of the mail
/// host's sending addresses: every address must get `pass`.
pub fn spf_verdict(
    record: &str,
    spf: &mail_auth::spf::Spf,
    mail_host: &str,
    results: &[(std::net::IpAddr, mail_auth::SpfResult)],
) -> Verdict {
    use mail_auth::SpfResult as R;
    let found = vec![record.to_string()];
    if let Some((ip, r)) = results.iter().find(|(_, r)| *r != R::Pass) {
        let rule = match r {
            R::PermError => format!("permerror for {mail_host} ({ip}): an include or redirect target has no SPF record, a record is invalid, or the evaluation needs more than 10 DNS lookups (RFC 7208 §4.6.4)"),
            R::TempError => {
                return Verdict::noted(
                    Outcome::Error {
                        message: format!("temperror: a DNS lookup failed while evaluating SPF for {ip}; try again"),
                    },
                    "temperror (RFC 7208 §2.6.6)",
                )
            }
            R::None => format!("none: no SPF record was found for {mail_host} ({ip}) to evaluate"),
            other => format!(
                "the mail server {mail_host} ({ip}) gets {}: the record does not authorise it; add mx, a:{mail_host} or include the mail server's SPF record",
                other.to_string().to_lowercase()
            ),
        };
        return Verdict::noted(Outcome::Mismatch { found }, rule);
    }
    let ips: Vec<String> = results.iter().map(|(ip, _)| ip.to_string()).collect();
    Verdict::noted(
        Outcome::Ok,
        spf_all_note(spf).unwrap_or_else(|| {
            format!(
                "pass for {mail_host} ({}), by the SPF evaluation receivers run (RFC 7208 §4).",
                ips.join(", ")
            )
        }),
    )
}

// ---- DKIM (RFC 6376 §3.6.1), parsed by mail-auth --------------------------------------------

/// Tag names of a tag-list (RFC 6376 §3.2), as written.
fn tag_names(txt: &str) -> Vec<&str> {
    txt.split(';')
        .filter_map(|t| t.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty())
        .collect()
}

fn tag<'a>(txt: &'a str, name: &str) -> Option<&'a str> {
    txt.split(';')
        .filter_map(|t| t.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim())
}

fn no_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Why a DKIM key record is not valid, or `None` when it is (RFC 6376 §3.2 tag-list rules,
/// then mail-auth's key record parse: version, key type, public key).
pub fn dkim_problem(txt: &str) -> Option<String> {
    use mail_auth::common::parse::TxtRecordParser;
    let names = tag_names(txt);
    if let Some(dup) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| n)
    {
        return Some(format!(
            "the tag {dup}= appears twice, which makes the whole record invalid (RFC 6376 §3.2)"
        ));
    }
    match mail_auth::common::verify::DomainKey::parse(txt.as_bytes()) {
        Ok(_) => None,
        Err(mail_auth::Error::Dkim(mail_auth::dkim::DkimError::RevokedPublicKey)) => {
            Some("p= is empty: the key is revoked (RFC 6376 §3.6.1)".into())
        }
        Err(mail_auth::Error::Dkim(mail_auth::dkim::DkimError::UnsupportedKeyType)) => {
            Some("k= names a key type receivers do not know (rsa or ed25519)".into())
        }
        Err(mail_auth::Error::Dns(_)) => {
            Some("not a DKIM key record: v= is not DKIM1, or p= is missing".into())
        }
        Err(e) => Some(format!(
            "the public key does not read as a {} key ({e}): check k= and p=",
            tag(txt, "k").unwrap_or("rsa")
        )),
    }
}

/// DKIM passes when a valid key record at the selector (CNAMEs followed by the resolver)
/// carries the key type and public key Stalwart published.
pub fn dkim(found_txt: &[String], expected: &str) -> Verdict {
    let want_key = tag(expected, "p")
        .map(no_spaces)
        .unwrap_or_else(|| no_spaces(expected));
    let want_type = tag(expected, "k").unwrap_or("rsa").to_ascii_lowercase();
    if found_txt.is_empty() {
        return Verdict::of(Outcome::Missing);
    }
    let mut reasons = Vec::new();
    for txt in found_txt {
        if let Some(problem) = dkim_problem(txt) {
            reasons.push(problem);
            continue;
        }
        let key = tag(txt, "p").map(no_spaces).unwrap_or_default();
        let kind = tag(txt, "k").unwrap_or("rsa").to_ascii_lowercase();
        if key == want_key && kind == want_type {
            return Verdict::noted(
                Outcome::Ok,
                format!("a valid {kind} key record with the published key"),
            );
        }
        reasons.push(if kind != want_type {
            format!("k={kind}, but the published key is {want_type}")
        } else {
            "a valid key record, but not the key Stalwart published".into()
        });
    }
    Verdict::noted(
        Outcome::Mismatch {
            found: found_txt.to_vec(),
        },
        reasons.join("; "),
    )
}

// ---- DMARC (RFC 7489), parsed by mail-auth ---------------------------------------------------

/// DMARC passes when exactly one valid record exists at `_dmarc` (CNAME followed) with the
/// chosen policy. A record must start with `v=DMARC1`, exactly (RFC 7489 §6.4, §6.6.3);
/// anything else is discarded as receivers do, and said so.
pub fn dmarc(found_txt: &[String], policy: DmarcPolicy) -> Verdict {
    use mail_auth::common::parse::TxtRecordParser;
    let looks_like = |t: &str| t.trim_start().to_ascii_lowercase().starts_with("v=dmarc");
    // `v` first, its value exactly DMARC1 (RFC 7489 §6.4 ABNF: %x44 %x4d %x41 %x52 %x43 %x31).
    let exact_version = |t: &str| {
        t.split(';')
            .next()
            .and_then(|first| first.split_once('='))
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("v") && v.trim() == "DMARC1")
    };
    let candidates: Vec<&String> = found_txt.iter().filter(|t| looks_like(t)).collect();
    let valid: Vec<(&String, mail_auth::dmarc::Dmarc)> = candidates
        .iter()
        .filter(|t| exact_version(t))
        .filter_map(|t| {
            mail_auth::dmarc::Dmarc::parse(t.as_bytes())
                .ok()
                .map(|d| (*t, d))
        })
        .collect();
    match valid.len() {
        0 if candidates.is_empty() => Verdict::of(Outcome::Missing),
        0 => Verdict::noted(
            Outcome::Mismatch {
                found: candidates.iter().map(|t| t.to_string()).collect(),
            },
            "not a DMARC record: it must start with v=DMARC1, exactly (the version is case-sensitive, RFC 7489 §6.4), so receivers ignore it",
        ),
        1 => {
            let (txt, record) = &valid[0];
            let found = match record.p {
                mail_auth::dmarc::Policy::None => "none",
                mail_auth::dmarc::Policy::Quarantine => "quarantine",
                mail_auth::dmarc::Policy::Reject => "reject",
                mail_auth::dmarc::Policy::Unspecified => "(no p= tag)",
            };
            let pct = tag(txt, "pct").unwrap_or("100");
            let rua: Vec<String> = record.rua.iter().map(|u| format!("mailto:{}", u.uri)).collect();
            let summary = format!(
                "p={found}, pct={pct}, rua={}",
                if rua.is_empty() { "none".into() } else { rua.join(",") }
            );
            if found == policy.as_str() {
                Verdict::noted(Outcome::Ok, summary)
            } else {
                Verdict::noted(
                    Outcome::Mismatch {
                        found: vec![txt.to_string()],
                    },
                    format!("{summary}: the chosen policy is p={}", policy.as_str()),
                )
            }
        }
        _ => {
            let records: Vec<String> = valid.iter().map(|(t, _)| t.to_string()).collect();
            Verdict {
                to_remove: records.clone(),
                outcome: Outcome::Duplicate { found: records },
                note: Some("more than one DMARC record: receivers apply none of them (RFC 7489 §6.6.3)".into()),
            }
        }
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
            note: None,
        }
    } else if found.is_empty() {
        Verdict::of(Outcome::Missing)
    } else {
        Verdict {
            outcome: Outcome::Mismatch {
                found: others.clone(),
            },
            to_remove: others,
            note: None,
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
    fn one_spf_record_is_taken_two_are_a_permerror() {
        assert_eq!(
            spf_record(&s(&["google-site-verification=x", "V=SPF1 mx -all"])).unwrap(),
            "V=SPF1 mx -all"
        );
        assert_eq!(
            spf_record(&s(&["v=spf10 mx"])).unwrap_err().outcome,
            Outcome::Missing,
            "not an SPF record"
        );
        let two = spf_record(&s(&["v=spf1 mx -all", "v=spf1 a -all"])).unwrap_err();
        assert!(matches!(two.outcome, Outcome::Duplicate { .. }));
        assert_eq!(two.to_remove.len(), 2);
        assert!(spf_syntax("v=spf1 mx -all").is_ok());
        for bad in [
            "v=spf1 include -all",
            "v=spf1 ip4:abc -all",
            "v=spf1 -all redirect=a.example redirect=b.example",
        ] {
            assert!(
                spf_syntax(bad).unwrap_err().starts_with("permerror"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_all_directive_is_noted() {
        let results = [("192.0.2.1".parse().unwrap(), mail_auth::SpfResult::Pass)];
        for (record, words) in [
            ("v=spf1 mx ~all", "softfail"),
            ("v=spf1 mx ?all", "Warning: ?all"),
            ("v=spf1 mx +all", "Warning: +all"),
            ("v=spf1 mx -all", "pass for mail.example"),
        ] {
            let v = spf_verdict(
                record,
                &spf_syntax(record).unwrap(),
                "mail.example",
                &results,
            );
            assert_eq!(v.outcome, Outcome::Ok, "{record}");
            assert!(
                v.note.as_deref().unwrap().contains(words),
                "{record}: {:?}",
                v.note
            );
        }
        let fail = [("192.0.2.1".parse().unwrap(), mail_auth::SpfResult::Fail)];
        let v = spf_verdict(
            "v=spf1 -all",
            &spf_syntax("v=spf1 -all").unwrap(),
            "mail.example",
            &fail,
        );
        assert!(matches!(v.outcome, Outcome::Mismatch { .. }));
        assert!(v.note.unwrap().contains("gets fail"));
    }

    // Real keys: an Ed25519 key (32 bytes) and a 1024-bit RSA key.
    const ED: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    #[test]
    fn dkim_records_are_read_as_receivers_read_them() {
        let good = format!("v=DKIM1; k=ed25519; p={ED}");
        let expected = good.clone();
        assert_eq!(dkim(&s(&[&good]), &expected).outcome, Outcome::Ok);
        assert_eq!(dkim(&[], &expected).outcome, Outcome::Missing);
        for (bad, words) in [
            (
                format!("v=DKIM1; k=ed25519; k=ed25519; p={ED}"),
                "appears twice",
            ),
            (
                format!("v=DKIM1; k=rsa; p={ED}"),
                "does not read as a rsa key",
            ),
            ("v=DKIM1; k=ed25519; p=".to_string(), "revoked"),
            (format!("v=DKIM1; k=dsa; p={ED}"), "key type"),
        ] {
            let v = dkim(&s(&[&bad]), &expected);
            assert!(matches!(v.outcome, Outcome::Mismatch { .. }), "{bad}");
            assert!(
                v.note.as_deref().unwrap().contains(words),
                "{bad}: {:?}",
                v.note
            );
        }
    }

    #[test]
    fn dmarc_needs_exactly_one_record_with_the_exact_version() {
        let v = dmarc(
            &s(&["v=DMARC1; p=quarantine; pct=50; rua=mailto:x@y.example"]),
            DmarcPolicy::Quarantine,
        );
        assert_eq!(v.outcome, Outcome::Ok);
        assert_eq!(
            v.note.unwrap(),
            "p=quarantine, pct=50, rua=mailto:x@y.example"
        );
        // The version tag's value is case-sensitive: not a DMARC record.
        let lower = dmarc(&s(&["v=dmarc1; p=quarantine"]), DmarcPolicy::Quarantine);
        assert!(matches!(lower.outcome, Outcome::Mismatch { .. }));
        assert!(lower.note.unwrap().contains("case-sensitive"));
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
