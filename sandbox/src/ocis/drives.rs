//! Personal drives (`shared/reference/ocis.md` §5, §8): OCIS creates a user's personal
//! drive (space) at the user's first authenticated request at the proxy, not when the user
//! is created — the sandbox control `POST /_sandbox/ocis/users/{username}/first-sign-in`
//! stands in for that request — and purges it when the user is deleted (§4.5).

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::OcisSandbox;

/// A personal drive (space), created at the owner's first sign-in.
#[derive(Clone, Debug)]
pub(super) struct PersonalDrive {
    id: String,
    pub(super) owner: String,
}

impl OcisSandbox {
    pub fn has_personal_drive(&self, username: &str) -> bool {
        let st = self.lock();
        st.find_user(username)
            .is_some_and(|i| st.drives.iter().any(|d| d.owner == st.users[i].id))
    }

    /// The id of a user's personal drive, once it exists.
    pub fn personal_drive_id(&self, username: &str) -> Option<String> {
        let st = self.lock();
        let owner = &st.users[st.find_user(username)?].id;
        st.drives
            .iter()
            .find(|d| &d.owner == owner)
            .map(|d| d.id.clone())
    }

    /// What the proxy does on a user's first authenticated request: creates the personal
    /// drive (once). False for an unknown or disabled user (the proxy answers 401).
    pub fn first_sign_in(&self, username: &str) -> bool {
        let mut st = self.lock();
        let Some(i) = st.find_user(username) else {
            return false;
        };
        if !st.users[i].account_enabled {
            return false;
        }
        let owner = st.users[i].id.clone();
        if !st.drives.iter().any(|d| d.owner == owner) {
            st.drives.push(PersonalDrive {
                id: uuid::Uuid::new_v4().to_string(),
                owner,
            });
        }
        true
    }
}

/// Sandbox control: the user's first authenticated request at the proxy (creates the
/// personal drive). 204, or 404 for an unknown or disabled user.
pub(super) async fn control_first_sign_in(
    State(s): State<OcisSandbox>,
    Path(username): Path<String>,
) -> StatusCode {
    if s.first_sign_in(&username) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}
