//! An SMTP sink on loopback: speaks enough of RFC 5321 for a real client (EHLO/HELO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and keeps every message it accepts in
//! memory, so the sandbox and the tests can read what the console sent. It never relays.
//!
//! Fault injection: `refuse_next(n)` answers the next `n` `MAIL FROM` with `550`, as a real
//! server refusing a sender does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as received: the envelope and the raw RFC 5322 text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, CRLF line ends, dot-unstuffed.
    pub data: String,
}

/// The largest message accepted (advertised as `SIZE`), in bytes.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: std::net::SocketAddr,
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    refuse: Arc<AtomicUsize>,
}

impl SmtpSink {
    /// Listens on `127.0.0.1`, a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let sink = Self {
            addr: listener.local_addr()?,
            messages: Arc::default(),
            refuse: Arc::default(),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = serving.clone();
                tokio::spawn(async move {
                    if let Err(e) = sink.session(stream).await {
                        tracing::debug!(error = %e, "smtp sink: session ended");
                    }
                });
            }
        });
        Ok(sink)
    }

    /// `smtp://127.0.0.1:port` (no TLS, no authentication: loopback only).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Messages to one recipient (case-insensitive).
    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Refuses the next `n` transactions with `550 5.7.1`.
    pub fn refuse_next(&self, n: usize) {
        self.refuse.store(n, Ordering::SeqCst);
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sandbox-smtp ESMTP ready\r\n").await?;
        let mut from: Option<String> = None;
        let mut to: Vec<String> = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end_matches(['\r', '\n']);
            let verb = cmd
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => {
                    b"250-sandbox-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
                }
                "HELO" => b"250 sandbox-smtp\r\n",
                "MAIL" => {
                    let refuse = self
                        .refuse
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if refuse {
                        b"550 5.7.1 Sender refused (sandbox fault injection)\r\n"
                    } else {
                        match path_of(cmd) {
                            Some(p) => {
                                from = Some(p);
                                to.clear();
                                b"250 2.1.0 OK\r\n"
                            }
                            None => b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
                        }
                    }
                }
                "RCPT" => match (&from, path_of(cmd)) {
                    (None, _) => b"503 5.5.1 MAIL first\r\n",
                    (Some(_), Some(p)) if !p.is_empty() => {
                        to.push(p);
                        b"250 2.1.5 OK\r\n"
                    }
                    _ => b"501 5.5.4 Syntax: RCPT TO:<address>\r\n",
                },
                "DATA" => {
                    if from.is_none() || to.is_empty() {
                        write.write_all(b"503 5.5.1 RCPT first\r\n").await?;
                        continue;
                    }
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut data = String::new();
                    let mut too_big = false;
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                        let text = line.strip_prefix('.').unwrap_or(&line);
                        if data.len() + text.len() > MAX_MESSAGE_BYTES {
                            too_big = true;
                        } else {
                            data.push_str(text);
                        }
                    }
                    if too_big {
                        b"552 5.3.4 Message too big\r\n"
                    } else {
                        let mail = ReceivedMail {
                            from: from.take().unwrap_or_default(),
                            to: std::mem::take(&mut to),
                            data,
                        };
                        if let Ok(mut m) = self.messages.lock() {
                            m.push(mail);
                        }
                        b"250 2.0.0 OK queued\r\n"
                    }
                }
                "RSET" => {
                    from = None;
                    to.clear();
                    b"250 2.0.0 OK\r\n"
                }
                "NOOP" => b"250 2.0.0 OK\r\n",
                "QUIT" => {
                    write.write_all(b"221 2.0.0 Bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 5.5.2 Command not recognized\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=…` or `RCPT TO:<a@b>`.
fn path_of(cmd: &str) -> Option<String> {
    let start = cmd.find('<')?;
    let end = cmd[start..].find('>')? + start;
    Some(cmd[start + 1..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn paths() {
        assert_eq!(
            path_of("MAIL FROM:<a@b.example> SIZE=12").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(path_of("RCPT TO:<>").as_deref(), Some(""));
        assert_eq!(path_of("RCPT TO: a@b"), None);
    }
}
