//! The access matrix: every endpoint of the router — the JSON API (from `server::api`'s own
//! route table, methods read back from the router's `Allow` answers), every server function
//! (from the server-function registry) and every page (from Leptos's route list) — called
//! as each kind of caller, with the exact status asserted for each pair, and no answer about
//! acme mentioning globex. A new endpoint without an entry in `expectation` fails here the
//! day it is added.

use std::collections::BTreeSet;

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// Who calls, relative to the tenant acme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// mia: a member of acme, not an admin.
    Member,
    /// gina: an admin of globex.
    OtherTenantAdmin,
    /// adam: an admin of acme.
    Admin,
    /// olivia: the owner of acme.
    Owner,
    /// sam: staff of Southwind, which looks after globex only.
    OtherPartner,
    /// pat: staff of Northwind, which looks after acme.
    Partner,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Member,
    Caller::OtherTenantAdmin,
    Caller::Admin,
    Caller::Owner,
    Caller::OtherPartner,
    Caller::Partner,
];

/// Who an endpoint is for.
#[derive(Clone, Copy, Debug)]
enum Audience {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Admins and owners of acme, and the partner looking after it.
    AcmeAdmins,
    /// Partner staff of any partner.
    PartnerStaff,
    /// Partner staff of the partner looking after acme.
    AcmePartner,
    /// Admins and owners of any tenant (`/admin` opens the first).
    AnyAdmin,
}

/// What a caller must get: refused with exactly this status, or let through (anything but
/// 401/403, never a 5xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Refused(StatusCode),
    Allowed,
}

fn expect(audience: Audience, caller: Caller, page: bool) -> Expect {
    use Caller::*;
    let anonymous = if page {
        Expect::Refused(StatusCode::SEE_OTHER) // sent to sign in
    } else {
        Expect::Refused(StatusCode::UNAUTHORIZED)
    };
    let allowed = match audience {
        Audience::Public => return Expect::Allowed,
        Audience::SignedIn => caller != Anonymous,
        Audience::AcmeAdmins => matches!(caller, Admin | Owner | Partner),
        Audience::PartnerStaff => matches!(caller, OtherPartner | Partner),
        Audience::AcmePartner => caller == Partner,
        Audience::AnyAdmin => matches!(caller, OtherTenantAdmin | Admin | Owner),
    };
    match (caller, allowed) {
        (_, true) => Expect::Allowed,
        (Anonymous, false) => anonymous,
        (_, false) => Expect::Refused(StatusCode::FORBIDDEN),
    }
}

/// The audience of every endpoint: a new endpoint must be added here.
fn audience(kind: &str, method: &Method, path: &str) -> Option<Audience> {
    use Audience::*;
    Some(match (kind, method.as_str(), path) {
        ("api", "GET", "/api/me") => SignedIn,
        ("api", "POST", "/api/tenants") => PartnerStaff,
        ("api", "PUT", "/api/tenants/{slug}/plan") => AcmePartner,
        // Stripe's webhook: authenticated by its signature, not a session.
        ("api", "POST", "/webhooks/stripe") => Public,
        ("api", _, p) if p.starts_with("/api/tenants/{slug}/") => AcmeAdmins,
        // The theme answers everyone; a tenant's only after its own access check.
        ("fn", _, "/api/fn/session_info" | "/api/fn/theme") => Public,
        ("fn", _, "/api/fn/profile" | "/api/fn/exit_partner_mode" | "/api/fn/launch_tiles") => {
            SignedIn
        }
        ("fn", _, "/api/fn/admin_home") => AnyAdmin,
        (
            "fn",
            _,
            "/api/fn/partner_overview" | "/api/fn/create_tenant" | "/api/fn/plan_catalogue",
        ) => PartnerStaff,
        (
            "fn",
            _,
            "/api/fn/tenant_provisioning" | "/api/fn/enter_partner_mode" | "/api/fn/choose_plan",
        ) => AcmePartner,
        (
            "fn",
            _,
            "/api/fn/admin_dashboard"
            | "/api/fn/reconcile_tenant"
            | "/api/fn/admin_sidebar"
            | "/api/fn/domains"
            | "/api/fn/domain"
            | "/api/fn/add_domain"
            | "/api/fn/recheck_domain"
            | "/api/fn/publish_sandbox_records"
            | "/api/fn/set_domain_dmarc"
            | "/api/fn/make_domain_primary"
            | "/api/fn/remove_domain"
            | "/api/fn/check_domain_record"
            | "/api/fn/members"
            | "/api/fn/create_member"
            | "/api/fn/member_progress"
            | "/api/fn/suspend_member"
            | "/api/fn/resume_member"
            | "/api/fn/set_member_role"
            | "/api/fn/reset_member_password"
            | "/api/fn/retry_member"
            | "/api/fn/sign_out_member"
            | "/api/fn/member_removal_plan"
            | "/api/fn/remove_member"
            | "/api/fn/cancel_member"
            | "/api/fn/audit_events"
            | "/api/fn/audit_summary"
            | "/api/fn/security_policy"
            | "/api/fn/update_security_policy"
            | "/api/fn/mfa_overview"
            | "/api/fn/members_mfa"
            | "/api/fn/sso_apps"
            | "/api/fn/sso_app"
            | "/api/fn/create_sso_app"
            | "/api/fn/update_sso_app"
            | "/api/fn/rotate_sso_app_secret"
            | "/api/fn/delete_sso_app"
            | "/api/fn/billing_details"
            | "/api/fn/update_billing_details"
            | "/api/fn/billing_overview"
            | "/api/fn/billing_invoices"
            | "/api/fn/billing_plans"
            | "/api/fn/sync_billing_seats"
            | "/api/fn/start_card_change"
            | "/api/fn/finish_card_change"
            | "/api/fn/storage"
            | "/api/fn/set_storage_quota"
            | "/api/fn/branding"
            | "/api/fn/check_accent"
            | "/api/fn/update_branding"
            | "/api/fn/upload_logo"
            | "/api/fn/remove_logo"
            | "/api/fn/email_templates"
            | "/api/fn/save_email_template"
            | "/api/fn/reset_email_template"
            | "/api/fn/preview_email_template"
            | "/api/fn/send_welcome",
        ) => AcmeAdmins,
        ("page", _, "/" | "/profile" | "/signed-in") => SignedIn,
        ("page", _, "/signed-out") => Public,
        ("page", _, "/admin") => AnyAdmin,
        ("page", _, "/partner") => PartnerStaff,
        ("page", _, p) if p.starts_with("/admin/{tenant}") => AcmeAdmins,
        _ => return None,
    })
}

/// Values for every argument any server function takes (extra fields are ignored): ids and
/// names that do not exist, so that callers who get through change nothing that matters.
const FN_ARGS: &[(&str, &str)] = &[
    ("tenant", "acme"),
    ("id", "00000000-0000-7000-8000-000000000000"),
    ("name", "matrix-nowhere.example"),
    ("address", "nobody@matrix.example"),
    ("kind", "SPF"),
    ("record", "matrix-nowhere.example"),
    ("policy", "none"),
    ("rua", ""),
    ("role", "member"),
    ("first_name", "Matrix"),
    ("last_name", "Probe"),
    ("local_part", "matrix-probe"),
    ("slug", "matrix-probe"),
    ("search", "q=matrix"),
    ("mfa_mode", "optional"),
    ("idle_timeout_minutes", ""),
    ("absolute_lifetime_minutes", ""),
    ("allowed_countries", ""),
    ("ip_allowlist", ""),
    ("network_enforcement", "enforce"),
    ("confirm_lockout", "false"),
    // No redirect URI: an SSO app registration that gets through is refused as invalid.
    ("redirect_uris", ""),
    ("matching_mode", "strict"),
    ("launch_url", ""),
    // Billing details that get through are refused as invalid (no company name).
    ("company_name", ""),
    ("billing_email", ""),
    ("country", "DE"),
    ("vat_id", ""),
    ("cursor", ""),
    ("sort", "attention"),
    // A list argument, as server functions' url-encoded bodies carry them (serde_qs).
    ("member_ids[0]", "00000000-0000-7000-8000-000000000000"),
    ("plan", "matrix-nowhere"),
    ("setup_intent", "seti_matrix"),
    // Quotas that get through are refused as invalid (neither given).
    ("mail_quota", ""),
    ("files_quota", ""),
    // Branding that gets through: the name and colour back to the defaults; a logo, a
    // template and a welcome message that get through are refused as invalid.
    ("product_name", ""),
    ("accent", ""),
    ("data_url", ""),
    ("subject", ""),
    ("body", ""),
    ("member", "nobody@matrix.example"),
    ("to", ""),
    ("path", "/admin/acme"),
];

/// Fills a path's parameters for tenant acme.
fn concrete(path: &str) -> String {
    path.replace("{slug}", "acme")
        .replace("{tenant}", "acme")
        .replace("{id}", "00000000-0000-7000-8000-000000000000")
        .replace("{domain}", "matrix-nowhere.example")
        .replace("{kind}", "welcome")
}

async fn the_access_matrix_holds_for_every_endpoint_and_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    let sam = app.other_partner_staff().await;
    let globex = platform::repo::identity::tenant_by_slug(&app.platform.db, "globex")
        .await
        .unwrap()
        .unwrap();
    let browsers: Vec<(Caller, Browser)> = {
        let mut v = Vec::new();
        for caller in CALLERS {
            let b = Browser::new();
            let who = match caller {
                Caller::Anonymous => None,
                Caller::Member => Some(&MEMBER),
                Caller::OtherTenantAdmin => Some(&GLOBEX_ADMIN),
                Caller::Admin => Some(&ADMIN),
                Caller::Owner => Some(&OWNER),
                Caller::OtherPartner => Some(&sam),
                Caller::Partner => Some(&PARTNER),
            };
            if let Some(who) = who {
                app.sign_in(&b, who, "/").await;
            }
            v.push((caller, b));
        }
        v
    };

    // Every endpoint, from the router's and the registry's own lists.
    let mut endpoints: BTreeSet<(&'static str, String, String)> = BTreeSet::new();
    for path in server::api::paths() {
        let probe = Browser::new();
        let r = probe
            .client
            .request(Method::TRACE, app.url(&concrete(path)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow = r.headers()["allow"].to_str().unwrap().to_string();
        for method in allow.split(',').map(str::trim).filter(|m| *m != "HEAD") {
            endpoints.insert(("api", method.to_string(), path.to_string()));
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        endpoints.insert(("fn", method.to_string(), path.to_string()));
    }
    for path in server::startup::page_paths() {
        endpoints.insert(("page", "GET".into(), path));
    }
    let missing: Vec<_> = endpoints
        .iter()
        .filter(|(k, m, p)| audience(k, &Method::from_bytes(m.as_bytes()).unwrap(), p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints without an expected audience: {missing:?}"
    );

    let mut checked = 0;
    for (kind, method, path) in &endpoints {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let audience = audience(kind, &method, path).unwrap();
        for (caller, b) in &browsers {
            if *caller == Caller::Partner {
                // Partner staff act on a tenant's pages in partner mode, entered from the
                // partner view (an earlier call may have left it).
                let r = app
                    .server_fn(b, "enter_partner_mode", &[("tenant", "acme")])
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
            }
            let url = app.url(&concrete(path));
            let r = match *kind {
                "fn" => b.client.post(&url).form(FN_ARGS).send().await.unwrap(),
                "page" => b.client.get(&url).send().await.unwrap(),
                _ => b
                    .client
                    .request(method.clone(), &url)
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                    .unwrap(),
            };
            let status = r.status();
            let body = r.text().await.unwrap();
            let want = expect(audience, *caller, *kind == "page");
            match want {
                Expect::Refused(s) => assert_eq!(
                    status, s,
                    "{caller:?} {method} {path} ({kind}) must be refused: {body}"
                ),
                Expect::Allowed => assert!(
                    !matches!(status.as_u16(), 401 | 403) && !status.is_server_error(),
                    "{caller:?} {method} {path} ({kind}) must get through, got {status}: {body}"
                ),
            }
            // Nothing of globex in an answer about acme to someone with no business in globex:
            // not its name, id or pages. (Its admin's address may appear in acme's audit log as
            // the one refused there; gina and sam see their own globex in the page frame.)
            let outsider_to_globex =
                !matches!(caller, Caller::OtherTenantAdmin | Caller::OtherPartner);
            if outsider_to_globex
                && matches!(audience, Audience::AcmeAdmins | Audience::AcmePartner)
            {
                assert!(
                    !body.contains("Globex Ltd")
                        && !body.contains(&globex.id)
                        && !body.contains("/admin/globex"),
                    "{caller:?} {method} {path}: an answer about acme shows globex: {body}"
                );
            }
            checked += 1;
        }
    }
    eprintln!(
        "access matrix: {} endpoints x {} callers = {checked} checks",
        endpoints.len(),
        CALLERS.len()
    );
    assert!(
        endpoints.len() >= 50,
        "the lists were read ({})",
        endpoints.len()
    );
    app.cleanup().await;
}
on_both_backends!(
    access_matrix,
    the_access_matrix_holds_for_every_endpoint_and_caller
);
