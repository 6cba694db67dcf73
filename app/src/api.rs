//! Server functions. Each one is a public HTTP endpoint under `/api/fn/`: it finds out who is
//! asking, checks what they may do through the platform's access service (fail closed), calls
//! one platform service and maps its error.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The request context of a server function, and the mapping of platform errors.

    use std::sync::Arc;

    use leptos::prelude::*;
    use platform::services::access::{AccessError, PartnerStaff, TenantAdmin};
    use platform::services::domains::DomainError;
    use platform::services::members::{MemberError, MemberWithPassword};
    use platform::services::provisioning::{ProvisioningError, StepStatus};
    use platform::{Ctx, CurrentUser, Platform};

    use crate::error::AppError;

    /// Facts the server provides to pages and server functions besides the platform.
    #[derive(Clone, Copy, Debug)]
    pub struct ConsoleFlags {
        pub sandbox: bool,
    }

    pub struct Call {
        pub platform: Arc<Platform>,
        pub ctx: Ctx,
        pub user: Option<CurrentUser>,
        pub session: Option<tower_sessions::Session>,
    }

    impl Call {
        /// The check every admin-only server function starts with.
        pub async fn tenant_admin(&self, slug: &str) -> Result<TenantAdmin, AppError> {
            self.platform
                .access
                .tenant_admin(&self.ctx, slug)
                .await
                .map_err(|e| access(&self.ctx, e))
        }

        pub async fn partner_staff(&self) -> Result<PartnerStaff, AppError> {
            self.platform
                .access
                .partner_staff(&self.ctx)
                .await
                .map_err(|e| access(&self.ctx, e))
        }

        pub fn internal(&self, cause: impl std::fmt::Display) -> AppError {
            internal(&self.ctx, cause)
        }
    }

    /// Who is asking, from the request the server's middleware annotated.
    pub fn call() -> Result<Call, AppError> {
        let parts = use_context::<http::request::Parts>().ok_or_else(|| wiring("request parts"))?;
        let platform = use_context::<Arc<Platform>>().ok_or_else(|| wiring("platform"))?;
        let ctx = parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| wiring("request context"))?;
        Ok(Call {
            platform,
            user: parts.extensions.get::<CurrentUser>().cloned(),
            session: parts.extensions.get::<tower_sessions::Session>().cloned(),
            ctx,
        })
    }

    pub fn flags() -> ConsoleFlags {
        use_context::<ConsoleFlags>().unwrap_or(ConsoleFlags { sandbox: false })
    }

    fn wiring(what: &str) -> AppError {
        tracing::error!("server function called without {what} in context");
        AppError::Internal {
            request_id: "n/a".into(),
        }
    }

    /// An unexpected failure: the cause goes to the log with the request id, the person gets
    /// the id to quote.
    pub fn internal(ctx: &Ctx, cause: impl std::fmt::Display) -> AppError {
        tracing::error!(request_id = %ctx.meta.request_id, error = %cause, "server function failed");
        AppError::Internal {
            request_id: ctx.meta.request_id.clone(),
        }
    }

    pub fn provisioning(ctx: &Ctx, e: ProvisioningError) -> AppError {
        match e {
            ProvisioningError::Invalid { field, message } => AppError::Invalid {
                field: Some(field.into()),
                message,
            },
            ProvisioningError::SlugTaken(_) => AppError::Invalid {
                field: Some("slug".into()),
                message: e.to_string(),
            },
            ProvisioningError::Busy => AppError::Unavailable {
                message: e.to_string(),
            },
            ProvisioningError::Store(cause) => internal(ctx, cause),
        }
    }

    pub fn steps(steps: Vec<StepStatus>) -> Vec<crate::model::StepView> {
        steps
            .into_iter()
            .map(|s| crate::model::StepView {
                upstream: s.upstream,
                state: serde_json::to_value(s.state)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                message: s.message,
                last_run_at: s.last_run_at,
            })
            .collect()
    }

    pub fn domain(ctx: &Ctx, e: DomainError) -> AppError {
        let message = e.to_string();
        match e {
            DomainError::Invalid { field, .. } => AppError::Invalid {
                field: Some(field.into()),
                message,
            },
            DomainError::AlreadyAdded(_) | DomainError::ClaimedElsewhere(_) => AppError::Invalid {
                field: Some("name".into()),
                message,
            },
            DomainError::NotFound(_) => AppError::NotFound { message },
            DomainError::NotVerified(_)
            | DomainError::PrimaryWithOthers(_)
            | DomainError::InUse { .. } => AppError::Invalid {
                field: None,
                message,
            },
            DomainError::Upstream(_) => AppError::Unavailable { message },
            DomainError::Store(cause) => internal(ctx, cause),
        }
    }

    pub fn member(ctx: &Ctx, e: MemberError) -> AppError {
        let message = e.to_string();
        match e {
            MemberError::Invalid { field, .. } => AppError::Invalid {
                field: Some(field.into()),
                message,
            },
            MemberError::NoPrimaryDomain | MemberError::AddressTaken(_) => AppError::Invalid {
                field: Some("local_part".into()),
                message,
            },
            MemberError::NotFound(_) => AppError::NotFound { message },
            MemberError::Denied(_) => AppError::Forbidden { message },
            MemberError::Conflict(_) => AppError::Invalid {
                field: None,
                message,
            },
            MemberError::Upstream(_) => AppError::Unavailable { message },
            MemberError::Store(cause) => internal(ctx, cause),
        }
    }

    /// A member with the password that was just set, for the one answer that shows it.
    pub fn revealed(
        ctx: &Ctx,
        m: MemberWithPassword,
    ) -> Result<crate::model::RevealedMember, AppError> {
        let (member, one_time_password) = m.reveal();
        Ok(crate::model::RevealedMember {
            member: same_shape(ctx, member)?,
            one_time_password,
        })
    }

    /// The person's tenants with their role in each (the frame and the profile).
    pub fn tenant_roles(
        tenants: Vec<platform::domain::TenantMembership>,
    ) -> Vec<crate::model::TenantRoleView> {
        tenants
            .into_iter()
            .map(|t| crate::model::TenantRoleView {
                is_admin: t.role.is_admin(),
                role: t.role.as_str().into(),
                slug: t.slug,
                name: t.name,
                status: t.status,
            })
            .collect()
    }

    /// The page's copy of a platform view (same fields, wasm-safe type).
    pub fn same_shape<A: serde::Serialize, B: serde::de::DeserializeOwned>(
        ctx: &Ctx,
        a: A,
    ) -> Result<B, AppError> {
        serde_json::to_value(a)
            .and_then(serde_json::from_value)
            .map_err(|e| internal(ctx, e))
    }

    pub fn access(ctx: &Ctx, e: AccessError) -> AppError {
        match e {
            AccessError::Unauthenticated => AppError::Unauthenticated,
            AccessError::UnknownTenant(_) => AppError::NotFound {
                message: e.to_string(),
            },
            AccessError::NotMember(_) | AccessError::NotAdmin(_) | AccessError::NotPartnerStaff => {
                AppError::Forbidden {
                    message: e.to_string(),
                }
            }
            AccessError::Internal(cause) => internal(ctx, cause),
        }
    }
}

/// The frame of every page: who is signed in (if anyone), sandbox or not, partner mode or not.
#[server(prefix = "/api/fn", endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    use platform::services::access::AccessError;
    let call = ssr::call()?;
    let me = match call.platform.access.me(&call.ctx).await {
        Ok(me) => Some(me),
        Err(AccessError::Unauthenticated) => None,
        Err(e) => return Err(ssr::access(&call.ctx, e)),
    };
    let partner_mode = call.ctx.partner_mode && me.as_ref().is_some_and(|m| m.partner.is_some());
    Ok(SessionInfo {
        me: me.map(|me| MeView {
            user_id: me.user_id,
            email: me.email,
            name: me.name,
            tenants: ssr::tenant_roles(me.tenants),
            partner: me.partner.map(|p| p.name),
        }),
        sandbox: ssr::flags().sandbox,
        partner_mode,
    })
}

/// The tenant `/admin` opens: the first one the person administers.
#[server(prefix = "/api/fn", endpoint = "admin_home")]
pub async fn get_admin_home() -> Result<String, AppError> {
    let call = ssr::call()?;
    let me = call
        .platform
        .access
        .me(&call.ctx)
        .await
        .map_err(|e| ssr::access(&call.ctx, e))?;
    let Some(first) = me.tenants.iter().find(|t| t.role.is_admin()) else {
        // Record the denial through the same check a tenant URL gets.
        if let Some(t) = me.tenants.first() {
            let denied = call.platform.access.tenant_admin(&call.ctx, &t.slug).await;
            if let Err(e) = denied {
                return Err(ssr::access(&call.ctx, e));
            }
        }
        return Err(AppError::Forbidden {
            message: "You are not an admin or owner of any workspace.".into(),
        });
    };
    Ok(first.slug.clone())
}

#[server(prefix = "/api/fn", endpoint = "admin_dashboard")]
pub async fn get_admin_dashboard(tenant: String) -> Result<DashboardView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let overview = call
        .platform
        .tenants
        .admin_overview(&admin)
        .await
        .map_err(|e| call.internal(e))?;
    Ok(DashboardView {
        tenant_slug: overview.tenant.slug,
        tenant_name: overview.tenant.name,
        tenant_status: overview.tenant.status,
        viewer_name: admin.user().name.clone(),
        viewer_role: admin.role().map(|r| r.as_str().to_string()),
        via_partner: admin.via_partner(),
        seats_used: overview.seats_used,
        steps: ssr::steps(overview.steps),
        recent_audit: overview
            .recent_audit
            .into_iter()
            .map(|e| AuditEventView {
                at_ms: e.created_at,
                actor: e.actor_email.unwrap_or_else(|| "system".into()),
                as_partner: e.actor_partner_staff,
                action: e.action,
                target: e.target,
                outcome: e.outcome,
            })
            .collect(),
    })
}

#[server(prefix = "/api/fn", endpoint = "partner_overview")]
pub async fn get_partner_overview() -> Result<PartnerView, AppError> {
    let call = ssr::call()?;
    let staff = call.partner_staff().await?;
    let tenants = call
        .platform
        .tenants
        .partner_overview(&staff)
        .await
        .map_err(|e| call.internal(e))?;
    Ok(PartnerView {
        partner_name: staff.partner().name.clone(),
        tenants: tenants
            .into_iter()
            .map(|t| PartnerTenantView {
                slug: t.tenant.slug,
                name: t.tenant.name,
                status: t.tenant.status,
                steps: ssr::steps(t.steps),
                seats_used: t.seats_used,
                attention: t.attention,
            })
            .collect(),
    })
}

/// Partner staff create a workspace; provisioning runs in the background and the page
/// follows it with `get_tenant_provisioning`. Returns the new slug.
#[server(prefix = "/api/fn", endpoint = "create_tenant")]
pub async fn create_tenant(name: String, slug: String) -> Result<String, AppError> {
    let call = ssr::call()?;
    let staff = call.partner_staff().await?;
    let tenant = call
        .platform
        .provisioning
        .create_tenant(&call.ctx, &staff, &slug, &name)
        .await
        .map_err(|e| ssr::provisioning(&call.ctx, e))?;
    let slug = tenant.slug.clone();
    call.platform
        .provisioning
        .spawn_run(call.ctx.clone(), tenant);
    Ok(slug)
}

/// The provisioning progress of a tenant the caller's partner looks after.
#[server(prefix = "/api/fn", endpoint = "tenant_provisioning")]
pub async fn get_tenant_provisioning(tenant: String) -> Result<ProvisioningView, AppError> {
    let call = ssr::call()?;
    let (_, tenant) = call
        .platform
        .access
        .partner_for_tenant(&call.ctx, &tenant)
        .await
        .map_err(|e| ssr::access(&call.ctx, e))?;
    let steps = call
        .platform
        .provisioning
        .steps(&tenant)
        .await
        .map_err(|e| call.internal(e))?;
    Ok(ProvisioningView {
        slug: tenant.slug,
        name: tenant.name,
        status: tenant.status,
        steps: ssr::steps(steps),
    })
}

/// Re-runs the steps that are not ok and repairs drift.
#[server(prefix = "/api/fn", endpoint = "reconcile_tenant")]
pub async fn reconcile_tenant(tenant: String) -> Result<Vec<StepView>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let steps = call
        .platform
        .provisioning
        .reconcile(&call.ctx, &admin)
        .await
        .map_err(|e| ssr::provisioning(&call.ctx, e))?;
    Ok(ssr::steps(steps.steps))
}

/// Partner staff open a tenant they look after; the session enters partner mode. Returns the
/// page to go to.
#[server(prefix = "/api/fn", endpoint = "enter_partner_mode")]
pub async fn enter_partner_mode(tenant: String) -> Result<String, AppError> {
    use platform::ctx::session_keys;
    let call = ssr::call()?;
    let entered = call
        .platform
        .access
        .enter_as_partner(&call.ctx, &tenant)
        .await
        .map_err(|e| ssr::access(&call.ctx, e))?;
    let session = call
        .session
        .clone()
        .ok_or_else(|| call.internal("no session layer"))?;
    session
        .insert(session_keys::PARTNER_MODE, true)
        .await
        .map_err(|e| call.internal(e))?;
    Ok(format!("/admin/{}", entered.slug))
}

#[server(prefix = "/api/fn", endpoint = "exit_partner_mode")]
pub async fn exit_partner_mode() -> Result<(), AppError> {
    use platform::ctx::session_keys;
    let call = ssr::call()?;
    if call.user.is_none() {
        return Err(AppError::Unauthenticated);
    }
    if let Some(session) = &call.session {
        session
            .remove::<bool>(session_keys::PARTNER_MODE)
            .await
            .map_err(|e| call.internal(e))?;
    }
    Ok(())
}

/// The person's own profile, with the claims the IdP returns for their access token (the
/// token is refreshed and the call retried once if the IdP answers 401).
#[server(prefix = "/api/fn", endpoint = "profile")]
pub async fn get_profile() -> Result<ProfileView, AppError> {
    use platform::services::auth::AuthError;
    let call = ssr::call()?;
    let who = call
        .platform
        .access
        .signed_in(&call.ctx)
        .await
        .map_err(|e| ssr::access(&call.ctx, e))?;
    let user = call.user.ok_or(AppError::Unauthenticated)?;
    let claims = match call.platform.auth.userinfo(&user).await {
        Ok(claims) => claims,
        Err(AuthError::SessionEnded) => return Err(AppError::Unauthenticated),
        Err(AuthError::Oidc(e)) => {
            return Err(AppError::Unavailable {
                message: e.to_string(),
            })
        }
        Err(e) => return Err(ssr::internal(&call.ctx, e)),
    };
    let mut idp_claims: Vec<(String, String)> = claims
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    idp_claims.sort();
    let me = call
        .platform
        .access
        .me(&call.ctx)
        .await
        .map_err(|e| ssr::access(&call.ctx, e))?;
    Ok(ProfileView {
        name: who.user().name.clone(),
        email: who.user().email.clone(),
        tenants: ssr::tenant_roles(me.tenants),
        idp_claims,
    })
}

#[server(prefix = "/api/fn", endpoint = "domains")]
pub async fn get_domains(tenant: String) -> Result<Vec<DomainView>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let list = call
        .platform
        .domains
        .list(&admin)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, list)
}

#[server(prefix = "/api/fn", endpoint = "domain")]
pub async fn get_domain(tenant: String, name: String) -> Result<DomainView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let view = call
        .platform
        .domains
        .get(&admin, &name)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

#[server(prefix = "/api/fn", endpoint = "add_domain")]
pub async fn add_domain(tenant: String, name: String) -> Result<DomainView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let view = call
        .platform
        .domains
        .add(&call.ctx, &admin, &name)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

#[server(prefix = "/api/fn", endpoint = "recheck_domain")]
pub async fn recheck_domain(tenant: String, name: String) -> Result<DomainView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let view = call
        .platform
        .domains
        .verify(&call.ctx, &admin, &name)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

#[server(prefix = "/api/fn", endpoint = "set_domain_dmarc")]
pub async fn set_domain_dmarc(
    tenant: String,
    name: String,
    policy: String,
    rua: String,
) -> Result<DomainView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let rua = Some(rua).filter(|r| !r.trim().is_empty());
    let view = call
        .platform
        .domains
        .set_dmarc(&call.ctx, &admin, &name, &policy, rua.as_deref())
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

#[server(prefix = "/api/fn", endpoint = "make_domain_primary")]
pub async fn make_domain_primary(tenant: String, name: String) -> Result<DomainView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let view = call
        .platform
        .domains
        .set_primary(&call.ctx, &admin, &name)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

#[server(prefix = "/api/fn", endpoint = "remove_domain")]
pub async fn remove_domain(tenant: String, name: String) -> Result<(), AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    call.platform
        .domains
        .remove(&call.ctx, &admin, &name)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))
}

/// How many domains need attention (the sidebar badge).
#[server(prefix = "/api/fn", endpoint = "domain_attention")]
pub async fn get_domain_attention(tenant: String) -> Result<i64, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    call.platform
        .domains
        .attention_count(&admin)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))
}

/// One record's check, for the page to show results as they arrive.
#[server(prefix = "/api/fn", endpoint = "check_domain_record")]
pub async fn check_domain_record(
    tenant: String,
    name: String,
    kind: String,
    record: String,
) -> Result<DnsRecordView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let view = call
        .platform
        .domains
        .check_record(&admin, &name, &kind, &record)
        .await
        .map_err(|e| ssr::domain(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, view)
}

/// The members of a tenant, its primary domain and whether the caller manages owners.
#[server(prefix = "/api/fn", endpoint = "members")]
pub async fn get_members(tenant: String) -> Result<MembersView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let overview = call
        .platform
        .members
        .list(&admin)
        .await
        .map_err(|e| ssr::member(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, overview)
}

/// Creates a member; the answer carries the one-time password, shown once.
#[server(prefix = "/api/fn", endpoint = "create_member")]
pub async fn create_member(
    tenant: String,
    first_name: String,
    last_name: String,
    local_part: String,
    role: String,
) -> Result<RevealedMember, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let created = call
        .platform
        .members
        .create(
            &call.ctx,
            &admin,
            &first_name,
            &last_name,
            &local_part,
            &role,
        )
        .await
        .map_err(|e| ssr::member(&call.ctx, e))?;
    ssr::revealed(&call.ctx, created)
}

/// The member with this address while their creation runs (the dialog's progress).
#[server(prefix = "/api/fn", endpoint = "member_progress")]
pub async fn get_member_progress(
    tenant: String,
    address: String,
) -> Result<Option<MemberRowView>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let member = call
        .platform
        .members
        .by_address(&admin, &address)
        .await
        .map_err(|e| ssr::member(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, member)
}

/// suspend, resume or set_role: the member afterwards.
#[server(prefix = "/api/fn", endpoint = "change_member")]
pub async fn change_member(
    tenant: String,
    id: String,
    action: String,
    role: Option<String>,
) -> Result<MemberRowView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let members = &call.platform.members;
    let ctx = &call.ctx;
    let result = match action.as_str() {
        "suspend" => members.suspend(ctx, &admin, &id).await,
        "resume" => members.resume(ctx, &admin, &id).await,
        "set_role" => {
            members
                .set_role(ctx, &admin, &id, role.as_deref().unwrap_or_default())
                .await
        }
        other => {
            return Err(AppError::Invalid {
                field: Some("action".into()),
                message: format!("Unknown member action \"{other}\"."),
            })
        }
    };
    ssr::same_shape(ctx, result.map_err(|e| ssr::member(ctx, e))?)
}

/// reset_password or retry: the member and the one-time password when one was set;
/// `None` when the retry completed a removal (the member is gone).
#[server(prefix = "/api/fn", endpoint = "member_password")]
pub async fn member_password_action(
    tenant: String,
    id: String,
    action: String,
) -> Result<Option<RevealedMember>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let members = &call.platform.members;
    let ctx = &call.ctx;
    let result = match action.as_str() {
        "reset_password" => members.reset_password(ctx, &admin, &id).await.map(Some),
        "retry" => members.retry(ctx, &admin, &id).await,
        other => {
            return Err(AppError::Invalid {
                field: Some("action".into()),
                message: format!("Unknown member action \"{other}\"."),
            })
        }
    };
    result
        .map_err(|e| ssr::member(ctx, e))?
        .map(|m| ssr::revealed(ctx, m))
        .transpose()
}

#[server(prefix = "/api/fn", endpoint = "sign_out_member")]
pub async fn sign_out_member(tenant: String, id: String) -> Result<SignOutView, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let report = call
        .platform
        .members
        .sign_out(&call.ctx, &admin, &id)
        .await
        .map_err(|e| ssr::member(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, report)
}

/// What removing the member does in each system (the confirmation names it).
#[server(prefix = "/api/fn", endpoint = "member_removal_plan")]
pub async fn get_removal_plan(
    tenant: String,
    id: String,
) -> Result<Vec<RemovalItemView>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let plan = call
        .platform
        .members
        .removal_plan(&admin, &id)
        .await
        .map_err(|e| ssr::member(&call.ctx, e))?;
    ssr::same_shape(&call.ctx, plan)
}

/// remove or cancel: `None` when everything is gone, else the member with what is left.
#[server(prefix = "/api/fn", endpoint = "remove_member")]
pub async fn remove_member(
    tenant: String,
    id: String,
    cancel: bool,
) -> Result<Option<MemberRowView>, AppError> {
    let call = ssr::call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let members = &call.platform.members;
    let result = if cancel {
        members.cancel(&call.ctx, &admin, &id).await
    } else {
        members.remove(&call.ctx, &admin, &id).await
    };
    ssr::same_shape(&call.ctx, result.map_err(|e| ssr::member(&call.ctx, e))?)
}
