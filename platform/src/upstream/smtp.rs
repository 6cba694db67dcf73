//! Outgoing mail through SMTP (`SMTP_URL`, RFC 5321) with `lettre`: the console's welcome
//! messages and notices. URL forms are lettre's: `smtp://host:25` (STARTTLS when offered),
//! `smtp://host:587?tls=required`, `smtps://user:pass@host:465` (TLS from the start).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// Where mail goes and who it is from.
#[derive(Clone)]
pub struct SmtpConfig {
    /// May hold a password: a secret, never logged.
    pub url: SecretString,
    /// `Dezky <no-reply@dezky.example>` (`SMTP_FROM`).
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0} is not an email address")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    /// The server refused or could not be reached; the text is lettre's (no credentials).
    #[error("the mail server did not take the message: {0}")]
    Send(String),
}

/// One message: a subject, an HTML body and its plain-text alternative.
pub struct OutgoingMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub html: String,
    pub text: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// Fails on a URL or sender lettre cannot read (checked once at start).
    pub fn new(cfg: &SmtpConfig) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(cfg.url.expose_secret())
            .map_err(|e| MailError::Build(format!("SMTP_URL: {e}")))?
            .timeout(Some(cfg.timeout))
            .build();
        let from = cfg
            .from
            .parse()
            .map_err(|_| MailError::Address(cfg.from.clone()))?;
        Ok(Self { transport, from })
    }

    /// Sends one message; returns when the server accepted it (`250` after `DATA`).
    pub async fn send(&self, mail: OutgoingMail<'_>) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

/// Whether `s` is a mailbox (`name@example.com` or `Name <name@example.com>`, RFC 5322).
pub fn is_mailbox(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}
