//! The network rules of a policy applied to one request: the client's address against the
//! IP allowlist, and its country (by a MaxMind DB file: GeoLite2 Country or DB-IP Lite
//! Country, read with the `maxminddb` crate) against the allowed countries.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use super::policy::{CountryCode, Policy};

/// A country database in the MaxMind DB format (<https://maxmind.github.io/MaxMind-DB/>),
/// read whole into memory at start.
#[derive(Clone)]
pub struct GeoIp {
    reader: Arc<maxminddb::Reader<Vec<u8>>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl GeoIp {
    /// Opens `path`. Errors: the file cannot be read or is not a MaxMind DB.
    pub fn open(path: &Path) -> Result<Self, maxminddb::MaxMindDbError> {
        Ok(Self {
            reader: Arc::new(maxminddb::Reader::open_readfile(path)?),
        })
    }

    /// The country of `ip` (`country.iso_code`), or none when the database does not know it
    /// (private and loopback addresses, unallocated space) or its code is not ISO 3166-1.
    pub fn country(&self, ip: IpAddr) -> Option<CountryCode> {
        let found = self.reader.lookup(ip).ok()?;
        let code: Option<&str> = found
            .decode_path(&maxminddb::path!["country", "iso_code"])
            .ok()
            .flatten();
        code.and_then(CountryCode::parse)
    }
}

/// Why the network rules refuse a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkRefusal {
    /// The address is outside the allowlist.
    AddressNotAllowed(IpAddr),
    /// The address's country is not allowed.
    CountryNotAllowed(IpAddr, CountryCode),
    /// The address's country could not be determined (fail closed).
    CountryUnknown(IpAddr),
    /// The request's address is not known at all.
    NoAddress,
}

impl std::fmt::Display for NetworkRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkRefusal::AddressNotAllowed(ip) => {
                write!(f, "your address {ip} is not in this workspace's IP allowlist")
            }
            NetworkRefusal::CountryNotAllowed(ip, c) => write!(
                f,
                "your address {ip} is in {c}, which is not one of this workspace's allowed countries"
            ),
            NetworkRefusal::CountryUnknown(ip) => write!(
                f,
                "the country of your address {ip} could not be determined, and this workspace only allows some countries"
            ),
            NetworkRefusal::NoAddress => write!(f, "your address could not be determined"),
        }
    }
}

/// The rules of `policy` for a request from `ip`: `None` when allowed. Countries are only
/// checked with a GeoIP database (without one they are stored, not enforced).
pub fn check(policy: &Policy, ip: Option<IpAddr>, geo: Option<&GeoIp>) -> Option<NetworkRefusal> {
    let countries_apply = !policy.allowed_countries.is_empty() && geo.is_some();
    if policy.ip_allowlist.is_empty() && !countries_apply {
        return None;
    }
    let Some(ip) = ip else {
        return Some(NetworkRefusal::NoAddress);
    };
    if !policy.allows_ip(ip) {
        return Some(NetworkRefusal::AddressNotAllowed(ip));
    }
    if let (true, Some(geo)) = (countries_apply, geo) {
        match geo.country(ip) {
            None => return Some(NetworkRefusal::CountryUnknown(ip)),
            Some(c) if !policy.allowed_countries.contains(&c) => {
                return Some(NetworkRefusal::CountryNotAllowed(ip, c))
            }
            Some(_) => {}
        }
    }
    None
}
