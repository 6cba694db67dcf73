//! The console's email templates: defaults, the placeholders each may use, validation, and
//! rendering with minijinja (Jinja2 syntax, `{{ member_name }}`).
//!
//! The subject is plain text (one line, no escaping; line breaks in values are removed). The
//! body is HTML: every placeholder's value is HTML-escaped (minijinja's `AutoEscape::Html`),
//! so a name like `<script>` arrives as text. Rendering is strict (an unknown name is an
//! error, not an empty string) and bounded by fuel, so a template cannot loop for long.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use wire::branding::{EmailKind, Placeholder};

/// The largest subject and body accepted, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;
/// Instructions a render may spend (minijinja fuel): plenty for a message, not a loop.
const FUEL: u64 = 100_000;

/// The values a template is rendered with, by placeholder name.
pub type Values = BTreeMap<&'static str, String>;

/// (name, what it holds, sample value for the preview).
fn placeholder_table(kind: EmailKind) -> &'static [(&'static str, &'static str, &'static str)] {
    const COMMON: [(&str, &str, &str); 3] = [
        (
            "product_name",
            "The product name (the Branding page's, or Dezky)",
            "Dezky",
        ),
        ("workspace_name", "The workspace's name", "Acme Ltd"),
        (
            "console_url",
            "The console's address",
            "https://console.dezky.example",
        ),
    ];
    match kind {
        EmailKind::Welcome => &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            ("member_name", "The new member's full name", "Alex Rivera"),
            (
                "member_email",
                "Their new address, which is also their sign-in name",
                "alex@acme.example",
            ),
            ("admin_name", "Who created the account", "Olivia Owner"),
            (
                "sign_in_url",
                "Where they sign in",
                "https://console.dezky.example/login",
            ),
        ],
        EmailKind::Suspended => &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            (
                "member_name",
                "The suspended member's full name",
                "Alex Rivera",
            ),
            ("member_email", "Their address", "alex@acme.example"),
            (
                "suspended_by",
                "Who suspended the account (email)",
                "olivia@acme.example",
            ),
        ],
        EmailKind::DomainAttention => &[
            COMMON[0],
            COMMON[1],
            COMMON[2],
            ("domain", "The mail domain", "acme.example"),
            (
                "failing",
                "The records that no longer pass",
                "SPF mismatch, DKIM missing",
            ),
            (
                "domain_url",
                "The domain's page in the console",
                "https://console.dezky.example/admin/acme/domains/acme.example",
            ),
        ],
    }
}

/// The placeholders a kind of message may use, with their sample values.
pub fn placeholders(kind: EmailKind) -> Vec<Placeholder> {
    placeholder_table(kind)
        .iter()
        .map(|(name, description, sample)| Placeholder {
            name: (*name).into(),
            description: (*description).into(),
            sample: (*sample).into(),
        })
        .collect()
}

/// The sample values of the preview.
pub fn samples(kind: EmailKind) -> Values {
    placeholder_table(kind)
        .iter()
        .map(|(name, _, sample)| (*name, (*sample).to_string()))
        .collect()
}

/// The console's own (subject, body).
pub fn default_template(kind: EmailKind) -> (&'static str, &'static str) {
    match kind {
        EmailKind::Welcome => (
            "Welcome to {{ workspace_name }} on {{ product_name }}",
            "<p>Hello {{ member_name }},</p>\n\
             <p>{{ admin_name }} has made you an account at {{ workspace_name }}.</p>\n\
             <p>Your address is <strong>{{ member_email }}</strong>; it is also the name you sign in with.</p>\n\
             <p>Sign in at <a href=\"{{ sign_in_url }}\">{{ sign_in_url }}</a>. Your administrator gives you your first password in person or by phone: it is never sent by email. You choose your own at the first sign-in.</p>\n\
             <p>Welcome aboard,<br>{{ workspace_name }}</p>",
        ),
        EmailKind::Suspended => (
            "{{ member_email }} was suspended in {{ workspace_name }}",
            "<p>The account of {{ member_name }} ({{ member_email }}) in {{ workspace_name }} was suspended by {{ suspended_by }}.</p>\n\
             <p>They can no longer sign in, and their sessions have ended. Mail to them is still delivered and kept.</p>\n\
             <p>To restore the account, resume it in the console: <a href=\"{{ console_url }}\">{{ console_url }}</a></p>",
        ),
        EmailKind::DomainAttention => (
            "{{ domain }} needs attention: its DNS records changed",
            "<p>The DNS records of {{ domain }} in {{ workspace_name }} no longer pass the checks: {{ failing }}.</p>\n\
             <p>Until they are fixed, mail from {{ domain }} may be rejected or marked as spam, and mail to it may not arrive.</p>\n\
             <p>What was found and what is expected: <a href=\"{{ domain_url }}\">{{ domain_url }}</a></p>",
        ),
    }
}

/// What is wrong with a template, on its field with the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub field: &'static str,
    pub message: String,
}

fn env(escape: AutoEscape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(move |_| escape);
    env.set_fuel(Some(FUEL));
    env
}

fn field_label(field: &str) -> &str {
    if field == "subject" {
        "the subject"
    } else {
        "the body"
    }
}

/// Checks a subject and body: length, syntax (the line named), and that every name used is
/// one of the kind's placeholders (the unknown one and its line named).
pub fn validate(kind: EmailKind, subject: &str, body: &str) -> Result<(), TemplateProblem> {
    let problem = |field, message| TemplateProblem { field, message };
    if subject.trim().is_empty() {
        return Err(problem("subject", "Write a subject.".into()));
    }
    if subject.contains(['\r', '\n']) {
        return Err(problem("subject", "The subject is one line.".into()));
    }
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(problem(
            "subject",
            format!("The subject is longer than {MAX_SUBJECT_CHARS} characters."),
        ));
    }
    if body.trim().is_empty() {
        return Err(problem("body", "Write the message.".into()));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(problem(
            "body",
            format!("The message is longer than {MAX_BODY_CHARS} characters."),
        ));
    }
    let allowed: Vec<&str> = placeholder_table(kind).iter().map(|p| p.0).collect();
    for (field, source) in [("subject", subject), ("body", body)] {
        let env = env(AutoEscape::None);
        let template = env.template_from_str(source).map_err(|e| {
            problem(
                field,
                format!(
                    "Line {} of {}: {}",
                    e.line().unwrap_or(1),
                    field_label(field),
                    syntax_message(&e)
                ),
            )
        })?;
        let mut unknown: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !allowed.contains(&v.as_str()))
            // Functions such as `range` are the engine's, not placeholders.
            .filter(|v| !env.globals().any(|(name, _)| name == v))
            .collect();
        unknown.sort();
        if let Some(name) = unknown.first() {
            return Err(problem(
                field,
                format!(
                    "Line {} of {}: {{{{ {name} }}}} is not a placeholder of this message. The placeholders are {}.",
                    line_of(source, name),
                    field_label(field),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn syntax_message(e: &minijinja::Error) -> String {
    let kind = match e.kind() {
        ErrorKind::SyntaxError => "syntax error".to_string(),
        other => other.to_string(),
    };
    match e.detail() {
        Some(d) => format!("{kind}: {d}"),
        None => kind,
    }
}

/// The first line (from 1) where `name` appears as a word.
fn line_of(source: &str, name: &str) -> usize {
    source
        .lines()
        .position(|l| {
            l.match_indices(name).any(|(i, _)| {
                let before = l[..i].chars().next_back();
                let after = l[i + name.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(before) && !word(after)
            })
        })
        .map_or(1, |i| i + 1)
}

/// Renders a validated template: the subject as text (one line), the body as HTML with every
/// value escaped, and the body's plain-text alternative.
pub fn render(
    subject: &str,
    body: &str,
    values: &Values,
) -> Result<(String, String, String), TemplateProblem> {
    let fail = |field: &'static str, e: minijinja::Error| TemplateProblem {
        field,
        message: format!(
            "Line {} of {}: {}",
            e.line().unwrap_or(1),
            field_label(field),
            syntax_message(&e)
        ),
    };
    let subject = env(AutoEscape::None)
        .render_str(subject, values)
        .map_err(|e| fail("subject", e))?
        .replace(['\r', '\n'], " ");
    let html = env(AutoEscape::Html)
        .render_str(body, values)
        .map_err(|e| fail("body", e))?;
    let text = plain_text(&html);
    Ok((subject.trim().to_string(), html, text))
}

/// A plain-text alternative of the HTML body: tags dropped, paragraphs and breaks as line
/// breaks, links followed by their address, the five HTML entities decoded.
fn plain_text(html: &str) -> String {
    use std::sync::OnceLock;
    static LINK: OnceLock<regex::Regex> = OnceLock::new();
    static BREAK: OnceLock<regex::Regex> = OnceLock::new();
    static TAG: OnceLock<regex::Regex> = OnceLock::new();
    let link = LINK.get_or_init(|| {
        regex::Regex::new(r#"(?is)<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>"#).expect("regex")
    });
    let brk =
        BREAK.get_or_init(|| regex::Regex::new(r"(?i)<br\s*/?>|</p>|</div>|</li>").expect("regex"));
    let tag = TAG.get_or_init(|| regex::Regex::new(r"<[^>]*>").expect("regex"));
    let linked = link.replace_all(html, |c: &regex::Captures| {
        if c[1] == c[2] {
            c[2].to_string()
        } else {
            format!("{} ({})", &c[2], &c[1])
        }
    });
    let broken = brk.replace_all(&linked, "\n");
    let bare = tag.replace_all(&broken, "");
    let text = bare
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    text.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_render_with_samples() {
        for kind in EmailKind::ALL {
            let (subject, body) = default_template(kind);
            validate(kind, subject, body).unwrap();
            let (s, html, text) = render(subject, body, &samples(kind)).unwrap();
            assert!(!s.is_empty() && !s.contains("{{"), "{s}");
            assert!(html.contains("Acme Ltd") && !html.contains("{{"), "{html}");
            assert!(!text.contains('<'), "{text}");
        }
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_its_line() {
        let body = "<p>Hello {{ member_name }},</p>\n<p>Your password: {{ password }}</p>";
        let e = validate(EmailKind::Welcome, "Hi", body).unwrap_err();
        assert_eq!(e.field, "body");
        assert!(
            e.message
                .starts_with("Line 2 of the body: {{ password }} is not a placeholder"),
            "{}",
            e.message
        );
        // A placeholder of another message is unknown here too.
        let e = validate(EmailKind::Welcome, "{{ suspended_by }}", "x").unwrap_err();
        assert_eq!(e.field, "subject");
        assert!(e.message.contains("suspended_by"), "{}", e.message);
    }

    #[test]
    fn a_syntax_error_is_named_with_its_line() {
        let e = validate(
            EmailKind::Suspended,
            "Notice",
            "<p>ok</p>\n\n<p>{{ member_name </p>",
        )
        .unwrap_err();
        assert_eq!(e.field, "body");
        assert!(
            e.message.starts_with("Line 3 of the body: syntax error"),
            "{}",
            e.message
        );
        let e = validate(EmailKind::Suspended, "{% if %}", "x").unwrap_err();
        assert_eq!(e.field, "subject");
    }

    #[test]
    fn values_are_escaped_in_the_body_and_kept_in_the_subject() {
        let mut values = samples(EmailKind::Welcome);
        values.insert("member_name", "<script>alert(1)</script> & co".into());
        let (subject, html, text) = render(
            "Hi {{ member_name }}",
            "<p>Hello {{ member_name }}</p>",
            &values,
        )
        .unwrap();
        assert_eq!(subject, "Hi <script>alert(1)</script> & co");
        assert_eq!(
            html,
            "<p>Hello &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co</p>"
        );
        assert_eq!(text, "Hello <script>alert(1)</script> & co");
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let body =
            "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}";
        validate(EmailKind::Welcome, "Hi", body).unwrap();
        assert!(render("Hi", body, &samples(EmailKind::Welcome)).is_err());
    }

    #[test]
    fn plain_text_keeps_links() {
        assert_eq!(
            plain_text("<p>Sign in at <a href=\"https://x.example/login\">here</a>.</p><p>Bye</p>"),
            "Sign in at here (https://x.example/login).\nBye"
        );
    }
}
