//! The hydrate entry: the browser side of the console, and nothing else.

/// Hydrates the server-rendered page. Asynchronously (as `leptos::mount::hydrate_lazy` does):
/// the pages are lazy routes (`app::App`), so hydration first loads the current page's wasm
/// chunks. When the whole page has hydrated, `#app` gets `data-hydrated="true"`, the marker
/// the Playwright journeys wait for before they press anything.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::tachys::dom::body();
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        if let Some(app) = leptos::tachys::dom::document().get_element_by_id("app") {
            // Only a marker for tests and scripts: nothing depends on it succeeding.
            let _ = app.set_attribute("data-hydrated", "true");
        }
    });
}
