//! The entry point of the Orrery playground: installs the panic banner, then mounts the app.
//!
//! The web crate holds no simulation rule. It turns wall time into "advance the run to t",
//! draws whatever the run's state is, and sends clicks to the run as commands; everything that
//! needs a test lives in `orrery-core`.

mod app;
mod components;
mod home;
mod hooks;
mod lab_page;
mod labs;
mod state;
mod text;

fn main() {
    // Yew replaces any hook installed with `std::panic::set_hook` unless it is set through its
    // own function, so the banner goes in through `set_custom_panic_hook`.
    yew::set_custom_panic_hook(Box::new(report_panic));
    yew::Renderer::<app::App>::new().render();
}

/// Shows a panic in a fixed banner and in the console, so a bug never leaves a blank page.
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = info.to_string();
    web_sys::console::error_1(&format!("Orrery panicked: {message}").into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    banner.set_class_name("panic-banner");
    let _ = banner.set_attribute("role", "alert");
    banner.set_text_content(Some(&format!(
        "Orrery hit a bug and stopped: {message}. Reload the page to start again; \
         a share link of the run reproduces it for a bug report."
    )));
    if let Some(body) = document.body() {
        let _ = body.append_child(&banner);
    }
}
