//! The records a domain needs published: the ownership token, MX, SPF and DKIM from
//! Stalwart's zone file (or the configured mail host when Stalwart is off), the tenant's
//! DMARC choice, and the zone file's optional records; and what each is checked against.

use super::{DmarcPolicy, DnsRecordView, DomainError, DomainService, RecordState};
use crate::dns::{zonefile, Expectation};
use crate::repo::mail_domains::DomainRow;

const OWNERSHIP_PREFIX: &str = "_dezky-verification";

impl DomainService {
    /// Required records (as unchecked views) and the optional ones from the zone file.
    pub(super) async fn expected(
        &self,
        row: &DomainRow,
    ) -> Result<(Vec<DnsRecordView>, Vec<DnsRecordView>), DomainError> {
        let name = &row.name;
        let unchecked = |kind: &str, rname: String, value: String| DnsRecordView {
            kind: kind.into(),
            name: rname,
            value,
            required: true,
            state: RecordState::Unchecked,
            found: vec![],
            to_remove: vec![],
            message: None,
        };
        let mut required = vec![unchecked(
            "Ownership",
            format!("{OWNERSHIP_PREFIX}.{name}"),
            format!("dezky-verification={}", row.ownership_token),
        )];
        let mut optional = Vec::new();
        let zone = match (&self.up.stalwart, &row.stalwart_id) {
            (Some(s), Some(id)) => s
                .get_domain(id)
                .await
                .map_err(|e| DomainError::Upstream {
                    message: format!("Stalwart could not list the records of {name}: {e}"),
                    source: e,
                })?
                .map(|d| zonefile::parse(&d.dns_zone_file)),
            _ => None,
        };
        match zone {
            Some(records) => {
                let mut dkim = 0;
                for r in records {
                    if r.kind == "MX" && r.name == *name {
                        required.push(unchecked("MX", r.name, r.value));
                    } else if r.kind == "TXT"
                        && r.name == *name
                        && r.value.to_ascii_lowercase().starts_with("v=spf1")
                    {
                        required.push(unchecked("SPF", r.name, r.value));
                    } else if r.kind == "TXT" && r.name.contains("._domainkey.") {
                        dkim += 1;
                        required.push(unchecked("DKIM", r.name, r.value));
                    } else if r.name == format!("_dmarc.{name}") {
                        continue; // ours below, with the tenant's policy
                    } else {
                        optional.push(DnsRecordView {
                            required: false,
                            state: RecordState::Optional,
                            ..unchecked(&r.kind, r.name, r.value)
                        });
                    }
                }
                if dkim == 0 {
                    required.push(DnsRecordView {
                        state: RecordState::Pending,
                        message: Some(
                            "Stalwart is generating the DKIM keys; they appear here shortly."
                                .into(),
                        ),
                        ..unchecked("DKIM", format!("*._domainkey.{name}"), String::new())
                    });
                }
            }
            None => {
                required.push(unchecked(
                    "MX",
                    name.clone(),
                    format!("10 {}", self.up.mail_host),
                ));
                required.push(unchecked("SPF", name.clone(), "v=spf1 mx -all".into()));
            }
        }
        let rua = row
            .dmarc_rua
            .clone()
            .unwrap_or_else(|| format!("postmaster@{name}"));
        required.push(unchecked(
            "DMARC",
            format!("_dmarc.{name}"),
            format!("v=DMARC1; p={}; rua=mailto:{rua}", row.dmarc_policy),
        ));
        Ok((required, optional))
    }

    /// The mail host of the domain's expected MX record (whose addresses SPF must pass), or
    /// `MAIL_HOST`.
    pub(super) fn mail_host_of(&self, required: &[DnsRecordView]) -> String {
        required
            .iter()
            .find(|r| r.kind == "MX")
            .and_then(|r| {
                r.value
                    .split_once(' ')
                    .map(|(_, h)| h.trim_end_matches('.').to_string())
            })
            .unwrap_or_else(|| self.up.mail_host.clone())
    }

    pub(super) fn expectation(
        r: &DnsRecordView,
        policy: DmarcPolicy,
        mail_host: &str,
    ) -> Option<Expectation> {
        let name = r.name.clone();
        match r.kind.as_str() {
            "Ownership" => Some(Expectation::Txt {
                name,
                value: r.value.clone(),
            }),
            "MX" => {
                let (pref, host) = r.value.split_once(' ')?;
                Some(Expectation::Mx {
                    name,
                    host: host.into(),
                    preference: pref.parse().ok()?,
                })
            }
            "SPF" => Some(Expectation::Spf {
                name,
                mail_host: mail_host.to_string(),
            }),
            "DKIM" if r.state != RecordState::Pending && r.value.contains("p=") => {
                Some(Expectation::Dkim {
                    name,
                    record: r.value.clone(),
                })
            }
            "DMARC" => Some(Expectation::Dmarc { name, policy }),
            _ => None,
        }
    }
}
