//! The browser entry point. Everything lives in `app`; this crate only exists so that the wasm
//! build sees `app` with the `hydrate` feature and nothing server-side.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    app::hydrate();
}
