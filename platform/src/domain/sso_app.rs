//! The input of a tenant SSO app, parsed once: its name, the Authentik slug it gets, its
//! redirect URIs and its launch URL. The rules follow RFC 6749 §3.1.2 (a redirection endpoint
//! is an absolute URI without a fragment), RFC 8252 §7.3 and §8.3 (plain http only for the
//! loopback interface) and OAuth 2.0 Security BCP (RFC 9700) §4.1.3 (exact matching; no
//! wildcards unless the admin explicitly asks for Authentik's regex matching).

use wire::sso_apps::{MatchingMode, RedirectUri};

use super::TenantSlug;

/// At most this many redirect URIs per app.
pub const MAX_REDIRECT_URIS: usize = 10;
/// The longest redirect URI or launch URL accepted (characters).
const MAX_URL_CHARS: usize = 2_000;
/// The longest app name (characters).
const MAX_NAME_CHARS: usize = 64;

/// An input refused, with the field at fault (`name`, `redirect_uris`, `launch_url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SsoAppInputError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> SsoAppInputError {
    SsoAppInputError {
        field,
        message: message.into(),
    }
}

/// A display name: trimmed, 1–64 characters, no control characters.
pub fn parse_name(name: &str) -> Result<String, SsoAppInputError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Give the app a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("The name may be at most {MAX_NAME_CHARS} characters long."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "The name may not contain control characters.",
        ));
    }
    Ok(name.to_string())
}

/// The Authentik application slug of an app of `tenant` named `name`: `<tenant>_<name>`,
/// the name lower-cased with runs of other characters turned into one hyphen. Tenant slugs
/// never contain `_`, so two tenants never get the same slug (`^[-a-zA-Z0-9_]+$` upstream).
pub fn app_slug(tenant: &TenantSlug, name: &str) -> Result<String, SsoAppInputError> {
    let mut part = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            part.push(c);
        } else if !part.is_empty() && !part.ends_with('-') {
            part.push('-');
        }
    }
    let part: String = part.trim_end_matches('-').chars().take(40).collect();
    let part = part.trim_end_matches('-');
    if part.is_empty() {
        return Err(invalid(
            "name",
            "The name needs at least one letter or digit (a–z, 0–9): the app's address is made from it.",
        ));
    }
    Ok(format!("{}_{part}", tenant.as_str()))
}

/// The redirect URIs: 1 to 10, no duplicates, each an absolute https URL (http only on a
/// loopback host), without a fragment or user info. With `Strict` a `*` is refused (list each
/// URL); with `Regex` each value must compile and begin with `https://` (or a loopback
/// `http://`), so a pattern cannot open the app to another scheme.
pub fn parse_redirect_uris(
    values: &[String],
    mode: MatchingMode,
) -> Result<Vec<RedirectUri>, SsoAppInputError> {
    let field = "redirect_uris";
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(invalid(
            field,
            "Give at least one redirect URI: the address in your app that receives the sign-in.",
        ));
    }
    if values.len() > MAX_REDIRECT_URIS {
        return Err(invalid(
            field,
            format!(
                "At most {MAX_REDIRECT_URIS} redirect URIs; {} were given.",
                values.len()
            ),
        ));
    }
    let mut out: Vec<RedirectUri> = Vec::with_capacity(values.len());
    for v in values {
        if out.iter().any(|r| r.url == v) {
            return Err(invalid(field, format!("{v} is listed twice.")));
        }
        match mode {
            MatchingMode::Strict => check_url(field, v, "redirect URI")?,
            MatchingMode::Regex => check_pattern(field, v)?,
        }
        out.push(RedirectUri {
            matching_mode: mode,
            url: v.to_string(),
        });
    }
    Ok(out)
}

/// The launch URL (the app's start page, shown as a tile to members): none when empty, else
/// the same rules as a strict redirect URI.
pub fn parse_launch_url(value: Option<&str>) -> Result<Option<String>, SsoAppInputError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            check_url("launch_url", v, "launch URL")?;
            Ok(Some(v.to_string()))
        }
    }
}

fn check_url(field: &'static str, v: &str, what: &str) -> Result<(), SsoAppInputError> {
    if v.chars().count() > MAX_URL_CHARS {
        return Err(invalid(
            field,
            format!("A {what} may be at most {MAX_URL_CHARS} characters long."),
        ));
    }
    if v.contains('*') {
        return Err(invalid(
            field,
            format!("{v}: wildcards are not allowed. List each URL, or choose regex matching."),
        ));
    }
    if v.contains('#') {
        return Err(invalid(
            field,
            format!("{v}: a {what} may not contain a fragment (#…)."),
        ));
    }
    let url = url::Url::parse(v).map_err(|_| {
        invalid(
            field,
            format!("{v} is not an absolute URL; write it in full, like https://app.example.com/callback."),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            field,
            format!("{v}: a {what} may not contain a user name or password."),
        ));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if url.host().is_some_and(|h| is_loopback(&h)) => Ok(()),
        "http" => Err(invalid(
            field,
            format!(
                "{v}: use https; plain http is allowed only for localhost and loopback addresses."
            ),
        )),
        _ => Err(invalid(field, format!("{v}: use an https URL."))),
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

fn check_pattern(field: &'static str, v: &str) -> Result<(), SsoAppInputError> {
    if v.chars().count() > MAX_URL_CHARS {
        return Err(invalid(
            field,
            format!("A pattern may be at most {MAX_URL_CHARS} characters long."),
        ));
    }
    let body = v.strip_prefix('^').unwrap_or(v);
    let loopback = [
        "http://localhost",
        "http://127\\.0\\.0\\.1",
        "http://\\[::1\\]",
    ];
    if !body.starts_with("https://") && !loopback.iter().any(|p| body.starts_with(p)) {
        return Err(invalid(
            field,
            format!("{v}: a pattern must begin with https:// (or http://localhost) written out, so it cannot match another scheme."),
        ));
    }
    if v.contains('#') {
        return Err(invalid(
            field,
            format!("{v}: a redirect URI may not contain a fragment (#…)."),
        ));
    }
    regex::Regex::new(v)
        .map(|_| ())
        .map_err(|_| invalid(field, format!("{v} is not a valid regular expression.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(v: &[&str]) -> Result<Vec<RedirectUri>, SsoAppInputError> {
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        parse_redirect_uris(&v, MatchingMode::Strict)
    }

    #[test]
    fn redirect_uris_follow_the_rules() {
        assert_eq!(
            strict(&[" https://wiki.acme.example/oauth/callback "]).unwrap(),
            vec![RedirectUri {
                matching_mode: MatchingMode::Strict,
                url: "https://wiki.acme.example/oauth/callback".into()
            }]
        );
        assert!(strict(&[
            "http://localhost:8080/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:9/cb"
        ])
        .is_ok());
        for (bad, says) in [
            ("http://wiki.acme.example/cb", "plain http"),
            ("https://wiki.acme.example/cb#x", "fragment"),
            ("https://*.acme.example/cb", "wildcards"),
            ("/oauth/callback", "absolute"),
            ("wiki.acme.example/cb", "absolute"),
            ("ftp://wiki.acme.example/cb", "https"),
            ("https://user:pw@wiki.acme.example/cb", "user name"),
        ] {
            let e = strict(&[bad]).unwrap_err();
            assert_eq!(e.field, "redirect_uris");
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        assert!(strict(&[]).unwrap_err().message.contains("at least one"));
        let eleven: Vec<String> = (0..11).map(|i| format!("https://a.example/{i}")).collect();
        assert!(
            strict(&eleven.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap_err()
                .message
                .contains("At most 10")
        );
        assert!(strict(&["https://a.example/cb", "https://a.example/cb"])
            .unwrap_err()
            .message
            .contains("twice"));
    }

    #[test]
    fn regex_matching_is_explicit_and_anchored_to_https() {
        let ok = vec!["https://[a-z]+\\.acme\\.example/cb".to_string()];
        let r = parse_redirect_uris(&ok, MatchingMode::Regex).unwrap();
        assert_eq!(r[0].matching_mode, MatchingMode::Regex);
        for bad in [".*", "https://(unclosed", "http://evil.example/.*"] {
            assert!(
                parse_redirect_uris(&[bad.to_string()], MatchingMode::Regex).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn slugs_are_namespaced_by_tenant() {
        let acme = TenantSlug::parse("acme").unwrap();
        assert_eq!(app_slug(&acme, "Team Wiki!").unwrap(), "acme_team-wiki");
        assert_eq!(app_slug(&acme, "  CRM  ").unwrap(), "acme_crm");
        assert_eq!(app_slug(&acme, "Ærø 2").unwrap(), "acme_r-2");
        assert_eq!(app_slug(&acme, "!!!").unwrap_err().field, "name");
        let acme_x = TenantSlug::parse("acme-x").unwrap();
        assert_ne!(
            app_slug(&acme, "x wiki").unwrap(),
            app_slug(&acme_x, "wiki").unwrap()
        );
    }

    #[test]
    fn names_and_launch_urls() {
        assert_eq!(parse_name("  Wiki ").unwrap(), "Wiki");
        assert!(parse_name(" ").is_err());
        assert!(parse_name(&"x".repeat(65)).is_err());
        assert_eq!(parse_launch_url(Some(" ")).unwrap(), None);
        assert_eq!(
            parse_launch_url(Some("https://wiki.acme.example/")).unwrap(),
            Some("https://wiki.acme.example/".into())
        );
        assert_eq!(
            parse_launch_url(Some("javascript:alert(1)"))
                .unwrap_err()
                .field,
            "launch_url"
        );
    }
}
