//! The hydrate entry: the browser side of the console, and nothing else.

/// Hydrates the server-rendered page. `hydrate_lazy` (not `hydrate_body`): the pages are lazy
/// routes (`app::App`), so hydration first loads the current page's wasm chunk.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
