//! The guards of sandbox mode: it stays on this machine, and its session secret is generated
//! once per data folder.

use std::net::SocketAddr;

use secrecy::SecretString;

use super::{err, ConfigError, Source};

/// Sandbox mode runs against stand-ins with published demo passwords: it must only ever be
/// reachable from this machine. Refuses a non-loopback address, an https `PUBLIC_URL` (a
/// real deployment) and any real Authentik setting.
pub(super) fn sandbox_is_local(
    s: &Source<'_>,
    bind: SocketAddr,
    public_url: Option<&url::Url>,
) -> Result<(), ConfigError> {
    if !bind.ip().is_loopback() {
        return Err(err(
            "LEPTOS_SITE_ADDR",
            format!("must be a loopback address in sandbox mode (got {bind}); the sandbox accepts published demo passwords"),
        ));
    }
    if public_url.is_some_and(|u| u.scheme() == "https") {
        return Err(err(
            "PUBLIC_URL",
            "is https, which means a real deployment: set DEZKY_SANDBOX=false (the sandbox accepts published demo passwords)",
        ));
    }
    for var in [
        "AUTHENTIK_ISSUER",
        "AUTHENTIK_CLIENT_ID",
        "AUTHENTIK_CLIENT_SECRET",
        "AUTHENTIK_ADMIN_TOKEN",
    ] {
        if s.opt(var).is_some() {
            return Err(err(
                var,
                "is set, so this looks like a real deployment: set DEZKY_SANDBOX=false, or unset it for the sandbox",
            ));
        }
    }
    Ok(())
}

/// The sandbox's session secret: generated once per data folder (`DATA_DIR/sandbox-session-secret`,
/// readable by its owner only) and kept, so sessions survive a restart but no two setups
/// share a secret.
pub(super) fn sandbox_session_secret(dir: &str) -> Result<SecretString, ConfigError> {
    let path = std::path::Path::new(dir).join("sandbox-session-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 32 {
            return Ok(SecretString::from(existing.trim().to_string()));
        }
    }
    let failed = |e: std::io::Error| err("DATA_DIR", format!("{}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let secret = platform::crypto::random_token(48);
    write_private(&path, &secret).map_err(failed)?;
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
