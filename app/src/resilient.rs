//! The client every server function is called through: the browser's `fetch` (server_fn's
//! `BrowserClient`) with two recoveries, so a page never loses what was typed.
//!
//! - **401, the console session ended.** The call waits; a small sign-in window opens (when
//!   the browser blocks it, the banner offers the sign-in in a new tab). The window signs in
//!   through the identity provider and lands on `/signed-in`, which tells every tab of the
//!   console on the `dezky-session` `BroadcastChannel`. The call is then sent once more,
//!   automatically; a second 401 is the answer (shown with the way to sign in), so nothing is
//!   retried twice. Sending it again is safe for every call, reads and writes alike: a 401 is
//!   answered by the access check before any service method runs, so the first attempt did
//!   nothing. Concurrent calls share one sign-in.
//! - **Unreachable** (offline, the connection dropped, or no answer within
//!   [`CALL_TIMEOUT_MS`]): the call waits and the banner says so with a "Try again" button;
//!   each press sends it once more; "Give up" ends it with the error. Only a person's press
//!   repeats it, because an unanswered write may have happened.
//!
//! The page's own state (signals, form fields) is untouched while a call waits: nothing
//! reloads or navigates. Calls whose body cannot be rebuilt (multipart, streams) are sent
//! once, as before. On the server this is the plain `BrowserClient` (never used there).

use http::Method;
use leptos::server_fn::client::browser::BrowserClient;
use leptos::server_fn::client::Client;
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::browser::{BrowserFormData, BrowserRequest};
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::response::browser::BrowserResponse;
use leptos::server_fn::Bytes;

/// How long a call may go unanswered before it counts as unreachable (milliseconds).
pub const CALL_TIMEOUT_MS: u64 = 60_000;

/// The `BroadcastChannel` the sign-in window announces itself on.
pub const SESSION_CHANNEL: &str = "dezky-session";

/// Where the sign-in window starts: the console's login, back to `/signed-in`.
pub const SIGN_IN_URL: &str = "/login?next=%2Fsigned-in";

/// The client named in every `#[server(client = …)]`.
pub struct Resilient;

/// How to build a request again (its body was consumed by the first send).
#[derive(Clone)]
struct Recipe {
    path: String,
    content_type: String,
    accepts: String,
    method: Method,
    body: Body,
}

#[derive(Clone)]
enum Body {
    Query(String),
    Text(String),
    Bytes(Bytes),
}

impl Recipe {
    fn new(path: &str, content_type: &str, accepts: &str, method: Method, body: Body) -> Self {
        Self {
            path: path.into(),
            content_type: content_type.into(),
            accepts: accepts.into(),
            method,
            body,
        }
    }

    fn build<E: FromServerFnError>(&self) -> Result<BrowserRequest, E> {
        let (path, ct, accepts, method) = (
            self.path.as_str(),
            self.content_type.as_str(),
            self.accepts.as_str(),
            self.method.clone(),
        );
        match &self.body {
            Body::Query(q) => {
                <BrowserRequest as ClientReq<E>>::try_new_req_query(path, ct, accepts, q, method)
            }
            Body::Text(t) => <BrowserRequest as ClientReq<E>>::try_new_req_text(
                path,
                ct,
                accepts,
                t.clone(),
                method,
            ),
            Body::Bytes(b) => <BrowserRequest as ClientReq<E>>::try_new_req_bytes(
                path,
                ct,
                accepts,
                b.clone(),
                method,
            ),
        }
    }
}

/// A request, and how to make it again when it can be.
pub struct ResilientRequest {
    first: BrowserRequest,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    again: Option<Recipe>,
}

impl ResilientRequest {
    fn with<E: FromServerFnError>(recipe: Recipe) -> Result<Self, E> {
        Ok(Self {
            first: recipe.build()?,
            again: Some(recipe),
        })
    }

    fn once(first: BrowserRequest) -> Self {
        Self { first, again: None }
    }
}

impl<E: FromServerFnError> ClientReq<E> for ResilientRequest {
    type FormData = BrowserFormData;

    fn try_new_req_query(
        path: &str,
        content_type: &str,
        accepts: &str,
        query: &str,
        method: Method,
    ) -> Result<Self, E> {
        Self::with(Recipe::new(
            path,
            content_type,
            accepts,
            method,
            Body::Query(query.into()),
        ))
    }

    fn try_new_req_text(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: String,
        method: Method,
    ) -> Result<Self, E> {
        Self::with(Recipe::new(
            path,
            content_type,
            accepts,
            method,
            Body::Text(body),
        ))
    }

    fn try_new_req_bytes(
        path: &str,
        content_type: &str,
        accepts: &str,
        body: Bytes,
        method: Method,
    ) -> Result<Self, E> {
        Self::with(Recipe::new(
            path,
            content_type,
            accepts,
            method,
            Body::Bytes(body),
        ))
    }

    fn try_new_req_form_data(
        path: &str,
        accepts: &str,
        content_type: &str,
        body: Self::FormData,
        method: Method,
    ) -> Result<Self, E> {
        Ok(Self::once(
            <BrowserRequest as ClientReq<E>>::try_new_req_form_data(
                path,
                accepts,
                content_type,
                body,
                method,
            )?,
        ))
    }

    fn try_new_req_multipart(
        path: &str,
        accepts: &str,
        body: Self::FormData,
        method: Method,
    ) -> Result<Self, E> {
        Ok(Self::once(
            <BrowserRequest as ClientReq<E>>::try_new_req_multipart(path, accepts, body, method)?,
        ))
    }

    fn try_new_req_streaming(
        path: &str,
        accepts: &str,
        content_type: &str,
        body: impl futures::Stream<Item = Bytes> + Send + 'static,
        method: Method,
    ) -> Result<Self, E> {
        Ok(Self::once(
            <BrowserRequest as ClientReq<E>>::try_new_req_streaming(
                path,
                accepts,
                content_type,
                body,
                method,
            )?,
        ))
    }
}

impl<E, IS, OS> Client<E, IS, OS> for Resilient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = ResilientRequest;
    type Response = BrowserResponse;

    fn send(
        req: Self::Request,
    ) -> impl std::future::Future<Output = Result<Self::Response, E>> + Send {
        send_wrapper::SendWrapper::new(async move {
            #[cfg(feature = "hydrate")]
            {
                browser::send::<E, IS, OS>(req).await
            }
            #[cfg(not(feature = "hydrate"))]
            {
                <BrowserClient as Client<E, IS, OS>>::send(req.first).await
            }
        })
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl std::future::Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl futures::Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// What the session banner shows while calls wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Nothing waits.
    Nothing,
    /// The session ended; `window_opened` says whether the sign-in window could open.
    SignIn { window_opened: bool },
    /// The console could not be reached.
    Unreachable,
}

#[cfg(feature = "hydrate")]
pub use browser::{give_up, open_sign_in, try_again, waiting};

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use futures::channel::oneshot;
    use leptos::prelude::*;
    use leptos::server_fn::client::browser::BrowserClient;
    use leptos::server_fn::client::Client;
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use leptos::server_fn::response::browser::BrowserResponse;
    use leptos::server_fn::response::ClientRes;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{ResilientRequest, Waiting, CALL_TIMEOUT_MS, SESSION_CHANNEL, SIGN_IN_URL};

    thread_local! {
        static WAITING: RwSignal<Waiting> = RwSignal::new(Waiting::Nothing);
        /// Calls waiting for the sign-in (`true`: signed in, send again).
        static SIGN_IN_WAITERS: RefCell<Vec<oneshot::Sender<bool>>> = const { RefCell::new(Vec::new()) };
        /// Calls waiting for "Try again" (`true`) or "Give up" (`false`).
        static REACH_WAITERS: RefCell<Vec<oneshot::Sender<bool>>> = const { RefCell::new(Vec::new()) };
        static CHANNEL: RefCell<Option<web_sys::BroadcastChannel>> = const { RefCell::new(None) };
    }

    /// What waits now (the banner reads it).
    pub fn waiting() -> RwSignal<Waiting> {
        WAITING.with(|w| *w)
    }

    type Waiters = std::thread::LocalKey<RefCell<Vec<oneshot::Sender<bool>>>>;

    /// Answers every call in `waiters`, then shows what still waits (a sign-in first).
    fn settle(waiters: &'static Waiters, go: bool) {
        let all = waiters.with(|w| std::mem::take(&mut *w.borrow_mut()));
        for tx in all {
            let _ = tx.send(go);
        }
        let signing_in = SIGN_IN_WAITERS.with(|w| !w.borrow().is_empty());
        let unreachable = REACH_WAITERS.with(|w| !w.borrow().is_empty());
        match (signing_in, unreachable) {
            (true, _) => {}
            (false, true) => waiting().set(Waiting::Unreachable),
            (false, false) => waiting().set(Waiting::Nothing),
        }
    }

    /// "Try again": every unreachable call is sent once more.
    pub fn try_again() {
        settle(&REACH_WAITERS, true);
    }

    /// "Give up": waiting calls end with their error.
    pub fn give_up() {
        settle(&REACH_WAITERS, false);
        settle(&SIGN_IN_WAITERS, false);
    }

    /// Opens the sign-in window, or, when the browser blocks it, has the banner offer a new
    /// tab.
    pub fn open_sign_in() {
        let opened = web_sys::window()
            .and_then(|w| {
                w.open_with_url_and_target_and_features(
                    SIGN_IN_URL,
                    "dezky-sign-in",
                    "popup,width=520,height=680",
                )
                .ok()
                .flatten()
            })
            .is_some();
        waiting().set(Waiting::SignIn {
            window_opened: opened,
        });
    }

    /// Listens once for `/signed-in`'s message on the session channel.
    fn listen() {
        CHANNEL.with(|c| {
            if c.borrow().is_some() {
                return;
            }
            let Ok(channel) = web_sys::BroadcastChannel::new(SESSION_CHANNEL) else {
                return;
            };
            let on_message =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
                    if e.data().as_string().as_deref() == Some("signed-in") {
                        settle(&SIGN_IN_WAITERS, true);
                    }
                });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            *c.borrow_mut() = Some(channel);
        });
    }

    async fn wait_for_sign_in() -> bool {
        listen();
        let (tx, rx) = oneshot::channel();
        let first = SIGN_IN_WAITERS.with(|w| {
            let mut w = w.borrow_mut();
            w.push(tx);
            w.len() == 1
        });
        if first {
            open_sign_in();
        }
        rx.await.unwrap_or(false)
    }

    async fn wait_for_try_again() -> bool {
        let (tx, rx) = oneshot::channel();
        REACH_WAITERS.with(|w| w.borrow_mut().push(tx));
        if !matches!(waiting().get_untracked(), Waiting::SignIn { .. }) {
            waiting().set(Waiting::Unreachable);
        }
        rx.await.unwrap_or(false)
    }

    /// One attempt: the answer, `Err` for no answer (transport error or timeout).
    async fn attempt<E, IS, OS>(
        req: leptos::server_fn::request::browser::BrowserRequest,
    ) -> Result<BrowserResponse, E>
    where
        E: FromServerFnError,
        IS: FromServerFnError,
        OS: FromServerFnError,
    {
        use futures::future::{select, Either};
        let (tx, rx) = oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = tx.send(());
            },
            std::time::Duration::from_millis(CALL_TIMEOUT_MS),
        );
        let sent = Box::pin(<BrowserClient as Client<E, IS, OS>>::send(req));
        match select(sent, rx).await {
            Either::Left((answer, _)) => answer,
            // Dropping the send aborts the fetch (its AbortController).
            Either::Right(_) => Err(E::from_server_fn_error(ServerFnErrorErr::Request(format!(
                "no answer within {} seconds",
                CALL_TIMEOUT_MS / 1000
            )))),
        }
    }

    pub(super) async fn send<E, IS, OS>(req: ResilientRequest) -> Result<BrowserResponse, E>
    where
        E: FromServerFnError,
        IS: FromServerFnError,
        OS: FromServerFnError,
    {
        let ResilientRequest { first, again } = req;
        let Some(recipe) = again else {
            return attempt::<E, IS, OS>(first).await;
        };
        let mut answer = attempt::<E, IS, OS>(first).await;
        let mut signed_in_again = false;
        loop {
            match &answer {
                Err(_) => {
                    if !wait_for_try_again().await {
                        return answer;
                    }
                }
                Ok(r)
                    if <BrowserResponse as ClientRes<E>>::status(r) == 401 && !signed_in_again =>
                {
                    if !wait_for_sign_in().await {
                        return answer;
                    }
                    signed_in_again = true;
                }
                Ok(_) => return answer,
            }
            answer = attempt::<E, IS, OS>(recipe.build()?).await;
        }
    }
}
