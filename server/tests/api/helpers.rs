//! `spawn_app`: the real application on port 0 with its embedded sandbox, a fresh database,
//! and a browser-like HTTP client (cookies, redirects followed by hand so tests can look at
//! each hop).

use std::sync::{Arc, OnceLock};

use platform::db::Backend;
use platform::testing::TestDatabase;
use platform::Platform;
use reqwest::{Response, StatusCode};
use server::config::Settings;
use server::Application;

pub struct TestApp {
    pub address: String,
    pub sandbox_url: String,
    pub ocis_url: String,
    pub authentik: sandbox::AuthentikSandbox,
    pub ocis: sandbox::ocis::OcisSandbox,
    stalwart_sandbox: Option<sandbox::stalwart::StalwartSandbox>,
    pub stalwart_url: String,
    pub platform: Arc<Platform>,
    pub db: Option<TestDatabase>,
    /// What the sandbox's control routes require in `x-sandbox-token`.
    pub control_token: String,
    /// The sandbox SMTP sink: every message the console sent.
    pub smtp: sandbox::smtp::SmtpSink,
}

/// Every test app runs on one runtime that lives as long as the test binary: Leptos's
/// global task spawner must never point at a test's runtime that has already ended.
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Vec::new()).await
}

/// localstripe for the Stripe steps (`scripts/test.sh` starts it).
pub fn localstripe_url() -> String {
    std::env::var("LOCALSTRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

/// The app with extra configuration variables.
pub async fn spawn_app_with(backend: Backend, extra: Vec<(&'static str, String)>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        server::telemetry::init(server::config::LogFormat::Pretty);
    } else {
        capture_logs();
    }
    let db = TestDatabase::new(backend).await;
    let url = db.url.clone();
    let secret = platform::crypto::random_token(32);
    let settings = Settings::from_source(&move |k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "LOG_FORMAT" => Some("pretty".into()),
        "OCIS_TIMEOUT_SECS" => Some("1".into()),
        // Sandbox mode is asked for, never assumed; the session secret is the test's own.
        "DEZKY_SANDBOX" => Some("true".into()),
        "SESSION_SECRET" => Some(secret.clone()),
        other => extra
            .iter()
            .find(|(k, _)| *k == other)
            .map(|(_, v)| v.clone()),
    })
    .expect("test settings");
    let (tx, rx) = tokio::sync::oneshot::channel();
    server_runtime().spawn(async move {
        let app = Application::build(settings).await.expect("the app builds");
        let address = app.public_url.as_str().trim_end_matches('/').to_string();
        let (authentik, sandbox_url) = app.authentik_sandbox.clone().expect("sandbox mode");
        let (ocis, ocis_url) = app.ocis_sandbox.clone().expect("sandbox mode");
        let stalwart = app
            .stalwart_sandbox
            .clone()
            .map(|(s, url)| (Some(s), url))
            .unwrap_or((None, String::new()));
        let started = (
            address,
            sandbox_url,
            ocis_url,
            authentik,
            ocis,
            stalwart,
            app.platform.clone(),
            app.sandbox_control_token.clone(),
            app.smtp_sink
                .clone()
                .expect("sandbox mode without SMTP_URL"),
        );
        let _ = tx.send(started);
        let _ = app.run_until_stopped().await;
    });
    let (
        address,
        sandbox_url,
        ocis_url,
        authentik,
        ocis,
        (stalwart, stalwart_url),
        platform,
        control_token,
        smtp,
    ) = rx.await.expect("the app started");
    TestApp {
        address,
        sandbox_url,
        ocis_url,
        authentik,
        ocis,
        stalwart_sandbox: stalwart,
        stalwart_url,
        platform,
        db: Some(db),
        control_token,
        smtp,
    }
}

/// A browser: its own cookie jar, no automatic redirects.
pub struct Browser {
    pub client: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(std::time::Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// A browser behind a proxy that reports it as `ip` (`X-Forwarded-For`), believed by an
    /// app whose `TRUSTED_PROXIES` include loopback.
    pub fn from_address(ip: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(std::time::Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// Follows redirects like a browser would, until a non-redirect answer.
    pub async fn follow(&self, mut response: Response) -> Response {
        for _ in 0..15 {
            if !response.status().is_redirection() {
                return response;
            }
            let next = location(&response);
            response = self.get(&next).await;
        }
        panic!("too many redirects");
    }
}

pub fn location(response: &Response) -> String {
    let loc = response
        .headers()
        .get("location")
        .expect("a redirect has a Location")
        .to_str()
        .unwrap()
        .to_string();
    response.url().join(&loc).unwrap().to_string()
}

pub struct Person {
    pub username: &'static str,
    pub password: &'static str,
}

pub const OWNER: Person = Person {
    username: "olivia@acme.example",
    password: "demo-owner-2026",
};
pub const ADMIN: Person = Person {
    username: "adam@acme.example",
    password: "demo-admin-2026",
};
pub const MEMBER: Person = Person {
    username: "mia@acme.example",
    password: "demo-member-2026",
};
pub const GLOBEX_ADMIN: Person = Person {
    username: "gina@globex.example",
    password: "demo-globex-2026",
};
pub const PARTNER: Person = Person {
    username: "pat@northwind.example",
    password: "demo-partner-2026",
};

impl TestApp {
    /// The Stalwart stand-in (present unless provisioning is switched off).
    pub fn stalwart(&self) -> &sandbox::stalwart::StalwartSandbox {
        self.stalwart_sandbox
            .as_ref()
            .expect("the Stalwart sandbox runs in this test")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Starts a sign-in for `next`, signs in at the IdP's form, and returns the callback URL
    /// the IdP sends the browser to (not yet followed).
    pub async fn sign_in_until_callback(
        &self,
        browser: &Browser,
        who: &Person,
        next: &str,
    ) -> String {
        let start = browser
            .get(&self.url(&format!("/login?next={}", urlencoding::encode(next))))
            .await;
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let authorize = location(&start);
        assert!(authorize.starts_with(&self.sandbox_url), "{authorize}");
        let mut r = browser.get(&authorize).await;
        if r.status().is_redirection() && location(&r).contains("/if/flow/") {
            let form_url = location(&r);
            let next_param = url::Url::parse(&form_url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            let submitted = browser
                .client
                .post(format!(
                    "{}/if/flow/default-authentication-flow/",
                    self.sandbox_url
                ))
                .form(&[
                    ("uid_field", who.username),
                    ("password", who.password),
                    ("next", &next_param),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(
                submitted.status(),
                StatusCode::SEE_OTHER,
                "the IdP accepted the password"
            );
            r = browser.get(&location(&submitted)).await;
        }
        assert!(
            r.status().is_redirection(),
            "authorize redirects to the callback"
        );
        let callback = location(&r);
        assert!(
            callback.starts_with(&self.url("/auth/callback")),
            "{callback}"
        );
        callback
    }

    /// A full sign-in; returns the final page.
    pub async fn sign_in(&self, browser: &Browser, who: &Person, next: &str) -> Response {
        let callback = self.sign_in_until_callback(browser, who, next).await;
        let r = browser.get(&callback).await;
        browser.follow(r).await
    }

    pub async fn me_status(&self, browser: &Browser) -> StatusCode {
        browser.get(&self.url("/api/me")).await.status()
    }

    pub async fn sandbox_post(&self, path: &str, body: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.sandbox_url))
            .header("x-sandbox-token", &self.control_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "sandbox control {path}: {}",
            r.status()
        );
    }

    /// Adds a fault at an upstream's sandbox (`base` is its URL).
    pub async fn fault(&self, base: &str, fault: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!("{base}/_sandbox/faults"))
            .header("x-sandbox-token", &self.control_token)
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn clear_faults(&self) {
        for base in [&self.sandbox_url, &self.ocis_url, &self.stalwart_url]
            .into_iter()
            .filter(|b| !b.is_empty())
        {
            reqwest::Client::new()
                .delete(format!("{base}/_sandbox/faults"))
                .header("x-sandbox-token", &self.control_token)
                .send()
                .await
                .unwrap();
        }
    }

    pub async fn post_json(
        &self,
        browser: &Browser,
        path: &str,
        body: serde_json::Value,
    ) -> Response {
        browser
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn sandbox_stats(&self) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/_sandbox/authentik/stats", self.sandbox_url))
            .header("x-sandbox-token", &self.control_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Calls a server function the way the browser does (form-encoded POST).
    pub async fn server_fn(
        &self,
        browser: &Browser,
        name: &str,
        form: &[(&str, &str)],
    ) -> Response {
        browser
            .client
            .post(self.url(&format!("/api/fn/{name}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A page's HTML as `browser` gets it.
    pub async fn html(&self, browser: &Browser, path: &str) -> String {
        browser.get(&self.url(path)).await.text().await.unwrap()
    }

    pub async fn audit(&self) -> Vec<platform::domain::AuditEvent> {
        platform::repo::audit::all(&self.platform.db, 1000)
            .await
            .unwrap()
    }

    pub async fn cleanup(mut self) {
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

/// Everything the apps of this test binary log (debug and up, every target), kept so a test
/// can look for secrets in it.
fn log_buffer() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOGS: OnceLock<std::sync::Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(Default::default)
}

struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| CapturedLogs)
            .try_init();
    });
}

/// The logs captured so far in this test binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

/// Every one-time password the tests of this binary received, to look for them later.
fn secrets() -> &'static std::sync::Mutex<Vec<String>> {
    static SECRETS: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(Default::default)
}

pub fn remember_secret(s: &str) {
    secrets().lock().unwrap().push(s.to_string());
}

pub fn remembered_secrets() -> Vec<String> {
    secrets().lock().unwrap().clone()
}

impl TestApp {
    /// Makes `name` a verified primary domain of the demo tenant (created in Stalwart through
    /// the API; the DNS verification itself is the domain tests' business) and provisions
    /// the tenant (its Authentik group). `owner` is signed in as an admin of acme.
    pub async fn primary_domain(&self, owner: &Browser, name: &str) {
        let r = self
            .post_json(owner, "/api/tenants/acme/reconcile", serde_json::json!({}))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "reconcile");
        let r = self
            .post_json(
                owner,
                "/api/tenants/acme/domains",
                serde_json::json!({ "name": name }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "add {name}");
        let row = platform::repo::mail_domains::by_name(&self.platform.db, name)
            .await
            .unwrap()
            .unwrap();
        platform::repo::mail_domains::set_checks(
            &self.platform.db,
            &row.id,
            platform::services::domains::DomainStatus::Verified,
            "[]",
        )
        .await
        .unwrap();
        let r = owner
            .client
            .patch(self.url(&format!("/api/tenants/acme/domains/{name}")))
            .json(&serde_json::json!({ "primary": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "make {name} primary");
    }

    /// Creates a member of acme through the API; returns the answer's body (member and
    /// one-time password, remembered for the leak scan).
    pub async fn create_member(
        &self,
        admin: &Browser,
        local_part: &str,
        role: &str,
    ) -> (StatusCode, serde_json::Value) {
        let r = self
            .post_json(
                admin,
                "/api/tenants/acme/members",
                serde_json::json!({
                    "first_name": "Jane", "last_name": "Tester",
                    "local_part": local_part, "role": role,
                }),
            )
            .await;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap();
        if let Some(p) = body["one_time_password"].as_str() {
            remember_secret(p);
        }
        (status, body)
    }

    /// Posts a member action (`suspend`, `retry`, …) and returns status and body.
    pub async fn member_action(
        &self,
        admin: &Browser,
        id: &str,
        action: &str,
    ) -> (StatusCode, serde_json::Value) {
        let r = self
            .post_json(
                admin,
                &format!("/api/tenants/acme/members/{id}/{action}"),
                serde_json::json!({}),
            )
            .await;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
        if let Some(p) = body["one_time_password"].as_str() {
            remember_secret(p);
        }
        (status, body)
    }

    /// Sam, staff of the partner Southwind, which looks after globex (not acme): a person
    /// who can sign in, known to Dezky as partner staff.
    pub async fn other_partner_staff(&self) -> Person {
        let person = Person {
            username: "sam@southwind.example",
            password: "demo-southwind-2026",
        };
        let uuid = self
            .authentik
            .add_user(person.username, "Sam Southwind", person.password);
        let db = &self.platform.db;
        let user =
            platform::repo::identity::ensure_user(db, &uuid, person.username, "Sam Southwind")
                .await
                .unwrap();
        let partner = platform::repo::identity::ensure_partner(db, "southwind", "Southwind IT")
            .await
            .unwrap();
        platform::repo::identity::add_partner_staff(db, &partner.id, &user.id)
            .await
            .unwrap();
        let globex = platform::repo::identity::tenant_by_slug(db, "globex")
            .await
            .unwrap()
            .unwrap();
        platform::repo::identity::add_partner_tenant(db, &partner.id, &globex.id)
            .await
            .unwrap();
        person
    }

    /// Whether the IdP's sign-in form accepts these credentials.
    pub async fn idp_accepts(&self, username: &str, password: &str) -> bool {
        let r = Browser::new()
            .client
            .post(format!(
                "{}/if/flow/default-authentication-flow/",
                self.sandbox_url
            ))
            .form(&[
                ("uid_field", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        r.status() == StatusCode::SEE_OTHER
    }
}
