//! `POST /application/o/revoke/` (RFC 7009; `shared/reference/authentik.md` §8.1, §8.5;
//! upstream `views/token_revoke.py`): a refresh token is marked revoked, an access token is
//! deleted; an unknown token is still 200, as the RFC asks.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::AuthentikSandbox;

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    token: String,
}

pub(super) async fn revoke(
    State(s): State<AuthentikSandbox>,
    Form(f): Form<RevokeForm>,
) -> StatusCode {
    let mut st = s.lock();
    if let Some(rt) = st.refresh_tokens.get_mut(&f.token) {
        rt.revoked = true;
    }
    st.access_tokens.remove(&f.token);
    StatusCode::OK
}
