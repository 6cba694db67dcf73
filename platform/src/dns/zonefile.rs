//! Parses the `dnsZoneFile` of a Stalwart 0.16 domain: one record per line,
//! `<fqdn.> IN <TYPE> <rdata>`, TXT as quoted strings (a long one split over parenthesised
//! continuation lines). Order is not relied on.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRecord {
    /// Owner name without the trailing dot.
    pub name: String,
    pub kind: String,
    /// TXT: the strings joined; others: the rdata as written (trailing dots dropped).
    pub value: String,
}

/// The records of a zone file; lines that are not records are skipped.
pub fn parse(text: &str) -> Vec<ZoneRecord> {
    let mut logical: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        match open.as_mut() {
            Some(acc) => {
                acc.push(' ');
                acc.push_str(line);
                if line.contains(')') {
                    logical.push(open.take().unwrap_or_default());
                }
            }
            None if line.contains('(') && !line.contains(')') => open = Some(line.to_string()),
            None => logical.push(line.to_string()),
        }
    }
    logical.iter().filter_map(|l| record(l)).collect()
}

fn record(line: &str) -> Option<ZoneRecord> {
    let mut parts = line.splitn(4, char::is_whitespace);
    let name = parts.next()?.trim_end_matches('.').to_ascii_lowercase();
    let class = parts.next()?;
    if !class.eq_ignore_ascii_case("IN") {
        return None;
    }
    let kind = parts.next()?.to_ascii_uppercase();
    let rdata = parts.next()?.trim();
    let value = if kind == "TXT" {
        quoted_strings(rdata).join("")
    } else {
        rdata
            .split_whitespace()
            .map(|p| p.trim_end_matches('.'))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(ZoneRecord { name, kind, value })
}

/// The contents of every `"…"` string (with `\"` and `\\` unescaped).
fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut cur = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                '"' => break,
                other => cur.push(other),
            }
        }
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = r#"v1-ed25519-20260901._domainkey.acme-corp.example. IN TXT "v=DKIM1; k=ed25519; h=sha256; p=AAAA"
v1-rsa-20260901._domainkey.acme-corp.example. IN TXT (
    "v=DKIM1; k=rsa; h=sha256; p=MIIB"
    "IjAN"
)
acme-corp.example. IN TXT "v=spf1 mx -all"
acme-corp.example. IN MX 10 mail.dezky.example.
_dmarc.acme-corp.example. IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@acme-corp.example"
_imaps._tcp.acme-corp.example. IN SRV 0 1 993 mail.dezky.example.
autoconfig.acme-corp.example. IN CNAME mail.dezky.example.
"#;

    #[test]
    fn records_are_typed_and_long_txt_joined() {
        let r = parse(ZONE);
        assert_eq!(r.len(), 7);
        assert_eq!(r[1].name, "v1-rsa-20260901._domainkey.acme-corp.example");
        assert_eq!(r[1].value, "v=DKIM1; k=rsa; h=sha256; p=MIIBIjAN");
        assert!(r.contains(&ZoneRecord {
            name: "acme-corp.example".into(),
            kind: "MX".into(),
            value: "10 mail.dezky.example".into()
        }));
        assert!(r
            .iter()
            .any(|x| x.kind == "SRV" && x.value == "0 1 993 mail.dezky.example"));
        assert!(r
            .iter()
            .any(|x| x.kind == "CNAME" && x.name == "autoconfig.acme-corp.example"));
    }
}
