//! Branding: a tenant's product name, accent colour and logo (the theme every page of that
//! tenant is drawn in), and its email templates.

use serde::{Deserialize, Serialize};

/// The colour of text drawn on the accent: whichever of black and white has the higher WCAG
/// 2.x contrast ratio with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextColour {
    Black,
    White,
}

impl TextColour {
    /// `#000000` or `#ffffff`.
    pub fn hex(self) -> &'static str {
        match self {
            TextColour::Black => "#000000",
            TextColour::White => "#ffffff",
        }
    }
}

/// The theme a page of a tenant is drawn in, resolved on the server after the access check
/// and sent as CSS custom properties in the first HTML response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThemeView {
    /// Shown instead of "Dezky" in the header, the title and the sidebar mark.
    pub product_name: String,
    /// `#rrggbb`, lower case.
    pub accent: String,
    /// `#000000` or `#ffffff`: the text colour on the accent.
    pub on_accent: String,
    /// The logo's URL (versioned, so a new logo is fetched at once), when there is one.
    pub logo_url: Option<String>,
}

impl ThemeView {
    /// The console's own theme (indigo 600, white text).
    pub fn dezky() -> Self {
        Self {
            product_name: "Dezky".into(),
            accent: "#4f46e5".into(),
            on_accent: "#ffffff".into(),
            logo_url: None,
        }
    }

    /// The CSS rule setting the theme's custom properties (`--accent`, `--on-accent`). Only
    /// values this crate's parser produced reach it (hex colours), so nothing can break out.
    pub fn css(&self) -> String {
        let safe = |c: &str| {
            c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
        };
        let accent = if safe(&self.accent) {
            &self.accent
        } else {
            "#4f46e5"
        };
        let on = if safe(&self.on_accent) {
            &self.on_accent
        } else {
            "#ffffff"
        };
        format!(":root{{--accent:{accent};--on-accent:{on}}}")
    }
}

/// What the WCAG 2.x check says of an accent colour (ratios in linear light, `x:1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccentCheck {
    /// `#rrggbb`, lower case.
    pub accent: String,
    /// The text colour on the accent, and its contrast ratio (always ≥ 4.58 for sRGB).
    pub on_accent: TextColour,
    pub on_accent_ratio: f64,
    /// The accent as text and links on the white page (`#ffffff`).
    pub on_page_ratio: f64,
    /// Both reach 4.5:1 (WCAG 2.x SC 1.4.3, AA for normal text).
    pub passes: bool,
    /// When it fails: the nearest colour that passes (same hue, lightness changed in Oklch).
    pub suggestion: Option<String>,
}

/// A tenant's branding as the Branding page and `GET …/branding` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandingView {
    /// The name as set, or `None` for the default ("Dezky").
    pub product_name: Option<String>,
    /// The accent as set, or `None` for the default.
    pub accent: Option<String>,
    /// The theme that results (defaults filled in).
    pub theme: ThemeView,
    pub check: AccentCheck,
    /// The logo's size in pixels, when there is one.
    pub logo: Option<LogoInfo>,
}

/// A stored logo: PNG, re-encoded from what was uploaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoInfo {
    pub width: u32,
    pub height: u32,
    /// Bytes of the stored PNG.
    pub bytes: u64,
}

/// `PUT …/branding`: the product name and accent (`#rgb` or `#rrggbb`, any case). An absent
/// field is unchanged; an empty one goes back to the default.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrandingUpdate {
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default)]
    pub accent: Option<String>,
}

/// The messages the console sends, each with its own placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// To a new member (at an address the admin gives): how to sign in.
    Welcome,
    /// To the workspace's owners and admins: an account was suspended.
    Suspended,
    /// To the workspace's owners and admins: a verified domain lost a record.
    DomainAttention,
}

impl EmailKind {
    pub const ALL: [EmailKind; 3] = [
        EmailKind::Welcome,
        EmailKind::Suspended,
        EmailKind::DomainAttention,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "welcome" => Some(Self::Welcome),
            "suspended" => Some(Self::Suspended),
            "domain_attention" => Some(Self::DomainAttention),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Welcome => "welcome",
            EmailKind::Suspended => "suspended",
            EmailKind::DomainAttention => "domain_attention",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmailKind::Welcome => "Welcome message",
            EmailKind::Suspended => "Account suspended notice",
            EmailKind::DomainAttention => "Domain needs attention notice",
        }
    }
}

/// One placeholder a template may use, with what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholder {
    pub name: String,
    pub description: String,
    /// The value the preview uses.
    pub sample: String,
}

/// A template as the page edits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailTemplateView {
    pub kind: EmailKind,
    pub label: String,
    /// Plain text (no escaping, one line).
    pub subject: String,
    /// HTML; every placeholder's value is escaped.
    pub body: String,
    /// `false`: the console's default, `true`: this workspace's own.
    pub customised: bool,
    pub placeholders: Vec<Placeholder>,
}

/// `PUT …/email-templates/{kind}` and the preview: the subject and body as typed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EmailTemplateUpdate {
    pub subject: String,
    pub body: String,
}

/// A template rendered with sample data (or real data when sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderedEmail {
    pub subject: String,
    /// HTML.
    pub body: String,
}

/// `POST …/members/{id}/welcome`: where to send a new member's welcome message.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WelcomeRequest {
    pub to: String,
}

/// What was sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WelcomeSent {
    pub to: String,
    pub subject: String,
}
