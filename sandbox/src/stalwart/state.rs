//! What the Stalwart stand-in stores (`shared/reference/stalwart.md` §1): the admin
//! credentials, the default hostname, domains, DKIM keys and principals (accounts and
//! mailing lists), with ids as Stalwart writes them, and the address lookups every method
//! shares (§7.2: addresses are unique server-wide, across accounts, lists and aliases).

use std::time::Duration;

use super::dkim::Dkim;
use super::domains::Domain;
use super::principals::Principal;

pub(super) struct State_ {
    pub(super) user: String,
    pub(super) password: String,
    pub(super) hostname: String,
    pub(super) next_id: u64,
    pub(super) domains: Vec<Domain>,
    pub(super) dkim: Vec<Dkim>,
    pub(super) principals: Vec<Principal>,
    pub(super) dkim_delay: Duration,
    /// JMAP methods whose next call fails with `serverUnavailable` (tests).
    pub(super) fail_next: Vec<String>,
    /// API keys of the administrator (`Authorization: Bearer API_…`, §3).
    pub(super) api_keys: Vec<String>,
}

/// Ids as Stalwart writes them: short base32 strings.
fn encode_id(n: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut n = n;
    let mut out = Vec::new();
    loop {
        out.push(char::from(ALPHABET[(n % 32) as usize]));
        n /= 32;
        if n == 0 {
            break;
        }
    }
    out.into_iter().rev().collect()
}

impl State_ {
    pub(super) fn new_id(&mut self) -> String {
        self.next_id += 1;
        encode_id(self.next_id)
    }

    pub(super) fn domain_name(&self, id: &str) -> Option<&str> {
        self.domains
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.as_str())
    }

    pub(super) fn address(&self, name: &str, domain_id: &str) -> String {
        format!("{name}@{}", self.domain_name(domain_id).unwrap_or_default())
    }

    /// The account with this primary address (trimmed, lower-cased).
    pub(super) fn account_by_address(&self, address: &str) -> Option<&Principal> {
        let address = address.trim().to_lowercase();
        self.principals
            .iter()
            .filter(|p| p.object == "Account")
            .find(|p| self.address(p.name(), p.domain_id()) == address)
    }

    /// The owner of an address among accounts, account aliases, lists and list aliases.
    pub(super) fn address_owner(
        &self,
        name: &str,
        domain_id: &str,
        except: Option<&str>,
    ) -> Option<&Principal> {
        self.principals
            .iter()
            .filter(|p| Some(p.id.as_str()) != except)
            .find(|p| {
                (p.name() == name && p.domain_id() == domain_id)
                    || p.aliases().iter().any(|(n, d)| n == name && d == domain_id)
            })
    }
}
