//! The console's modal dialog (WAI-ARIA Authoring Practices, "Dialog (Modal)" pattern):
//! `role="dialog"`, `aria-modal="true"`, named by its heading, over a backdrop.
//!
//! - It closes on Escape, on its close button, and on a backdrop click only when the pointer
//!   went down *and* up on the backdrop itself: selecting text inside and releasing outside
//!   never closes it.
//! - Focus moves into it when it opens (its first field, else the dialog), Tab and Shift+Tab
//!   wrap around inside it, and when it closes focus returns to the element that had it
//!   before (the button that opened it).
//!
//! Mount it while it is open (`{move || open.get().then(|| view! { <Dialog …/> })}`), or keep
//! it mounted and pass `open` when what it holds must survive closing (third-party frames).

use leptos::prelude::*;

/// What can take focus inside a dialog, in document order.
#[cfg(feature = "hydrate")]
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), iframe, [tabindex]:not([tabindex='-1'])";

#[component]
pub fn Dialog(
    /// The dialog element's id; its heading is `{id}-title`, its backdrop `{id}-backdrop`.
    id: &'static str,
    /// The heading, which names the dialog.
    #[prop(into)]
    title: Signal<String>,
    /// Whether it shows; always, when it is mounted only while open.
    #[prop(optional, into)]
    open: Option<Signal<bool>>,
    /// Asked to close (Escape, the close button, a backdrop click).
    #[prop(into)]
    on_close: Callback<()>,
    /// Classes of the panel besides the common ones (width).
    #[prop(optional)]
    width: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let open = open.unwrap_or_else(|| Signal::from(true));
    let panel = NodeRef::<leptos::html::Div>::new();
    let pressed_on_backdrop = StoredValue::new(false);
    let (title_id, labelled_by) = (format!("{id}-title"), format!("{id}-title"));
    #[cfg(feature = "hydrate")]
    browser::manage_focus(panel, open);
    let on_pointerdown = move |ev: leptos::ev::PointerEvent| {
        pressed_on_backdrop.set_value(on_itself(&ev));
    };
    let on_pointerup = move |ev: leptos::ev::PointerEvent| {
        if pressed_on_backdrop.get_value() && on_itself(&ev) {
            on_close.run(());
        }
        pressed_on_backdrop.set_value(false);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
        #[cfg(feature = "hydrate")]
        if ev.key() == "Tab" {
            browser::wrap_tab(panel, &ev);
        }
    };
    view! {
        <div id=format!("{id}-backdrop")
            class="dialog-backdrop fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-4 sm:p-10"
            class:hidden=move || !open.get()
            on:pointerdown=on_pointerdown on:pointerup=on_pointerup on:keydown=on_keydown>
            <div id=id node_ref=panel role="dialog" aria-modal="true" aria-labelledby=labelled_by tabindex="-1"
                class=format!("relative w-full rounded-xl bg-white p-5 shadow-xl outline-none {}", width.unwrap_or("max-w-3xl"))>
                <div class="mb-3 flex items-start justify-between gap-4">
                    <h2 id=title_id class="text-lg font-semibold">{move || title.get()}</h2>
                    <button type="button" class="dialog-close -mr-1 -mt-1 rounded-md px-2 py-1 text-xl leading-none text-slate-600 hover:bg-slate-100"
                        aria-label="Close" on:click=move |_| on_close.run(())>"×"</button>
                </div>
                {children()}
            </div>
        </div>
    }
}

/// Whether a pointer event happened on the element listening (the backdrop), not inside.
fn on_itself(ev: &leptos::ev::PointerEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let target = ev.target().map(JsValue::from);
        target.is_some() && target == ev.current_target().map(JsValue::from)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    use super::FOCUSABLE;

    fn focusables(panel: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
        let Ok(list) = panel.query_selector_all(FOCUSABLE) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            // Hidden ones (display: none, or inside a hidden part) cannot take focus.
            .filter(|e| e.offset_parent().is_some())
            .collect()
    }

    fn active() -> Option<web_sys::Element> {
        document().active_element()
    }

    /// Focus in when it opens, back to the opener when it closes or unmounts.
    pub(super) fn manage_focus(panel: NodeRef<leptos::html::Div>, open: Signal<bool>) {
        let opener = StoredValue::new_local(None::<web_sys::Element>);
        let restore = move || {
            if let Some(el) = opener.get_value() {
                if el.is_connected() {
                    if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                        let _ = el.focus();
                    }
                }
            }
            opener.set_value(None);
        };
        Effect::new(move |was_open: Option<bool>| {
            let is_open = open.get();
            let Some(panel) = panel.get() else {
                return false;
            };
            if is_open && was_open != Some(true) {
                opener.set_value(active());
                let panel: web_sys::HtmlElement = panel.into();
                let first = focusables(&panel)
                    .into_iter()
                    .find(|e| !e.class_list().contains("dialog-close"));
                let _ = match first {
                    Some(el) => el.focus(),
                    None => panel.focus(),
                };
            } else if !is_open && was_open == Some(true) {
                restore();
            }
            is_open
        });
        on_cleanup(move || {
            if open.get_untracked() {
                restore();
            }
        });
    }

    /// Tab and Shift+Tab wrap around inside the dialog.
    pub(super) fn wrap_tab(panel: NodeRef<leptos::html::Div>, ev: &web_sys::KeyboardEvent) {
        let Some(panel) = panel.get() else {
            return;
        };
        let panel: web_sys::HtmlElement = panel.into();
        let all = focusables(&panel);
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            ev.prevent_default();
            let _ = panel.focus();
            return;
        };
        let now = active();
        let is = |e: &web_sys::HtmlElement| {
            now.as_ref()
                .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
        };
        let inside = now
            .as_ref()
            .is_some_and(|a| panel.contains(Some(a.unchecked_ref())));
        if ev.shift_key()
            && (is(first)
                || !inside
                || now
                    .as_ref()
                    .is_some_and(|a| a == panel.unchecked_ref::<web_sys::Element>()))
        {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (is(last) || !inside) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
}
