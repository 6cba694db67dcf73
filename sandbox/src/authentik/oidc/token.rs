//! `POST /application/o/token/` (`shared/reference/authentik.md` §8.1–8.4; upstream
//! `views/token.py`): client authentication by `client_secret_basic` or
//! `client_secret_post`, the `authorization_code` grant (PKCE S256/plain: a code issued with
//! a challenge needs the verifier, a verifier without a challenge is rejected) and the
//! `refresh_token` grant (a `scope` must be a subset including `offline_access`; rotation:
//! every refresh returns a new refresh token and revokes the old one, and a revoked one gets
//! `invalid_grant`), and the `client_credentials` grant (also taken as `password`) in
//! authentik's own form: a service account's `username` and one of its app passwords as
//! `password`, for the client's provider (`__post_init_client_credentials_creds`). The
//! provider is found by `client_id` alone; the secret is checked only for the code and
//! refresh grants, as upstream. Tokens carry the claims of §8.4; a refresh token is issued
//! only when `offline_access` was asked for on the code grant (§8.2), never on
//! `client_credentials`, and lives 30 days (§8.3). Errors are OAuth-style 400 bodies.

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::super::state::{AccessToken, RefreshToken, State_};
use super::super::{
    hex, now, random, AuthentikSandbox, IdTokenTamper, OAuthClientRegistration, User,
};
use super::oauth_error;

#[derive(Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some((
            urlencoding::decode(id).ok()?.into_owned(),
            urlencoding::decode(secret).ok()?.into_owned(),
        ));
    }
    Some((
        form.client_id.clone()?,
        form.client_secret.clone().unwrap_or_default(),
    ))
}

pub(super) async fn token(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let Some((client_id, client_secret)) = client_credentials(&headers, &f) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)");
    };
    let client = {
        let st = s.lock();
        st.clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned()
    };
    let invalid_client = || {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)")
    };
    let Some(client) = client else {
        return invalid_client();
    };
    let grant = f.grant_type.as_deref();
    // A confidential client's secret is checked for these two grants only (upstream
    // `TokenParams.__post_init__`); a public client has none.
    if matches!(grant, Some("authorization_code" | "refresh_token"))
        && !client.client_secret.is_empty()
        && client.client_secret != client_secret
    {
        return invalid_client();
    }
    match grant {
        Some("authorization_code") => code_grant(&s, &client, &f),
        Some("refresh_token") => refresh_grant(&s, &client, &f),
        Some("client_credentials" | "password") => service_account_grant(&s, &client, &f),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

fn invalid_grant() -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client")
}

fn code_grant(s: &AuthentikSandbox, client: &OAuthClientRegistration, f: &TokenForm) -> Response {
    let mut st = s.lock();
    let Some(grant) = f.code.as_ref().and_then(|c| st.codes.remove(c)) else {
        return invalid_grant();
    };
    if grant.client_id != client.client_id
        || Some(&grant.redirect_uri) != f.redirect_uri.as_ref()
        || grant.expires < now()
    {
        return invalid_grant();
    }
    match (&grant.challenge, &f.code_verifier) {
        (Some((challenge, method)), Some(verifier)) => {
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
            } else {
                verifier.clone()
            };
            if &computed != challenge {
                return invalid_grant();
            }
        }
        (Some(_), None) | (None, Some(_)) => return invalid_grant(),
        (None, None) => {}
    }
    let Some(user) = st
        .users
        .iter()
        .find(|u| u.pk == grant.user_pk && u.is_active)
        .cloned()
    else {
        return invalid_grant();
    };
    st.stats.code_grants += 1;
    let tamper = std::mem::take(&mut st.tamper);
    issue(
        s,
        &mut st,
        client,
        &user,
        &grant.scopes,
        grant.nonce.clone(),
        grant.auth_time,
        Some(grant.session),
        tamper,
    )
}

/// `client_credentials` with a service account's username and app password: the user by
/// username, the password an unexpired app password of theirs; the answer has no refresh
/// token whatever the scopes.
fn service_account_grant(
    s: &AuthentikSandbox,
    client: &OAuthClientRegistration,
    f: &TokenForm,
) -> Response {
    let mut st = s.lock();
    let (Some(username), Some(password)) = (f.username.as_deref(), f.password.as_deref()) else {
        return invalid_grant();
    };
    let Some(user) = st
        .users
        .iter()
        .find(|u| u.username == username && u.is_active)
        .cloned()
    else {
        return invalid_grant();
    };
    let valid = st
        .app_passwords
        .iter()
        .any(|t| t.user_pk == user.pk && t.key == password && t.expires.is_none_or(|e| e > now()));
    if !valid {
        return invalid_grant();
    }
    st.stats.client_credentials_grants += 1;
    let scopes: Vec<String> = f
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .filter(|s| *s != "offline_access")
        .map(String::from)
        .collect();
    issue(
        s,
        &mut st,
        client,
        &user,
        &scopes,
        None,
        now(),
        None,
        IdTokenTamper::default(),
    )
}

fn refresh_grant(
    s: &AuthentikSandbox,
    client: &OAuthClientRegistration,
    f: &TokenForm,
) -> Response {
    let mut st = s.lock();
    let Some(old) = f.refresh_token.as_ref() else {
        return invalid_grant();
    };
    let Some(rt) = st.refresh_tokens.get_mut(old) else {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    };
    if rt.revoked || rt.client_id != client.client_id || rt.expires < now() {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    }
    let mut scopes = rt.scopes.clone();
    if let Some(asked) = &f.scope {
        let asked: Vec<String> = asked.split_whitespace().map(String::from).collect();
        if !asked.iter().all(|a| scopes.contains(a)) || !asked.iter().any(|a| a == "offline_access")
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.",
            );
        }
        scopes = asked;
    }
    // Rotation (refresh_token_threshold = seconds=0): the presented token is used up.
    rt.revoked = true;
    let (user_pk, nonce, auth_time, session) = (
        rt.user_pk,
        rt.nonce.clone(),
        rt.auth_time,
        rt.session.clone(),
    );
    let Some(user) = st
        .users
        .iter()
        .find(|u| u.pk == user_pk && u.is_active)
        .cloned()
    else {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    };
    st.stats.refresh_grants += 1;
    issue(
        s,
        &mut st,
        client,
        &user,
        &scopes,
        nonce,
        auth_time,
        session,
        IdTokenTamper::default(),
    )
}

#[allow(clippy::too_many_arguments)]
fn issue(
    s: &AuthentikSandbox,
    st: &mut State_,
    client: &OAuthClientRegistration,
    user: &User,
    scopes: &[String],
    nonce: Option<String>,
    auth_time: i64,
    session: Option<String>,
    tamper: IdTokenTamper,
) -> Response {
    let iat = now();
    let ttl = st.access_token_ttl;
    let iss = AuthentikSandbox::issuer(&st.base_url, &client.slug);
    // The subject by the client's provider's `sub_mode` (§8.4).
    let sub = st.subject(st.provider_of_client(&client.client_id), user);
    let mut claims = json!({
        "iss": iss, "sub": sub, "aud": client.client_id,
        "exp": iat + ttl, "iat": iat, "auth_time": auth_time,
        "acr": "goauthentik.io/providers/oauth2/default", "amr": ["pwd"],
        // authentik's `sid` is a hash of the session key, never the key itself.
        "sid": session.as_deref().map(|k| hex(&Sha256::digest(k.as_bytes()))).unwrap_or_default(),
    });
    if scopes.iter().any(|s| s == "email") {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(false);
    }
    if scopes.iter().any(|s| s == "profile") {
        claims["name"] = json!(user.name);
        claims["given_name"] = json!(user.name);
        claims["preferred_username"] = json!(user.username);
        claims["nickname"] = json!(user.username);
        claims["groups"] = json!([]);
    }
    let mut id_claims = claims.clone();
    if !st.include_claims_in_id_token {
        if let Some(map) = id_claims.as_object_mut() {
            for scope_claim in [
                "email",
                "email_verified",
                "name",
                "given_name",
                "preferred_username",
                "nickname",
                "groups",
            ] {
                map.remove(scope_claim);
            }
        }
    }
    if let Some(n) = &nonce {
        id_claims["nonce"] = json!(if tamper.wrong_nonce {
            "not-the-nonce-you-sent"
        } else {
            n.as_str()
        });
    }
    if tamper.expired {
        id_claims["iat"] = json!(iat - 7200);
        id_claims["exp"] = json!(iat - 3600);
    }
    if let Some(secs) = tamper.exp_after_secs {
        id_claims["exp"] = json!(iat + secs);
    }
    let mut access_claims = claims;
    access_claims["azp"] = json!(client.client_id);
    access_claims["uid"] = json!(random(16));
    let (Ok(access), Ok(id_token)) = (s.sign(&access_claims), s.sign(&id_claims)) else {
        // Nothing is issued; upstream an unexpected failure here is a server error.
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition that prevented it from fulfilling the request.",
        );
    };
    st.access_tokens.insert(
        access.clone(),
        AccessToken {
            user_pk: user.pk,
            client_id: client.client_id.clone(),
            expires: iat + ttl,
            session: session.clone(),
        },
    );
    let mut body = json!({
        "access_token": access, "token_type": "Bearer", "scope": scopes.join(" "),
        "expires_in": ttl, "id_token": id_token,
    });
    if scopes.iter().any(|s| s == "offline_access") {
        let refresh = random(48);
        let id = st.next_refresh_id;
        st.next_refresh_id += 1;
        st.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                id,
                client_id: client.client_id.clone(),
                user_pk: user.pk,
                scopes: scopes.to_vec(),
                nonce,
                auth_time,
                revoked: false,
                expires: iat + 30 * 24 * 3600,
                session,
                id_token: id_claims,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
