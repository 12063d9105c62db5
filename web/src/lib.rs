//! The Orrery playground as a library: the app shell, the shared lab page and every lab's
//! drawing. The binaries in `src/bin/` are the bundles the site loads, one per lab plus the
//! home page, each calling [`start`] with the labs it carries; code a bundle does not
//! reference is not linked into it, so opening one lab never downloads the others.
//!
//! ```text
//!   index.html ── loader (by #/<lab>) ──► home.js        start_home()
//!                                    └──► lab-cache.js   start(vec![cache])
//!                                    └──► lab-….js       start(vec![…])
//! ```
//!
//! The web crate holds no simulation rule. It turns wall time into "advance the run to t",
//! draws whatever the run's state is, and sends clicks to the run as commands; everything that
//! needs a test lives in `orrery-core`.

mod app;
mod components;
mod home;
mod hooks;
mod lab_page;
pub mod labs;
mod state;
mod text;

/// Mounts the app with the labs this bundle carries. A route to a lab of another bundle
/// reloads the page, and the loader in `index.html` then fetches that bundle.
pub fn start(bundle: Vec<labs::BundledLab>) {
    labs::install(bundle, Some(lab_page::render));
    mount();
}

/// Mounts the app with no lab at all: the home page's bundle. The lab page and its panels are
/// not referenced from here, so they are not linked into that bundle.
pub fn start_home() {
    labs::install(Vec::new(), None);
    mount();
}

fn mount() {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use orrery_core::registry::CATALOG;

    const INDEX: &str = include_str!("../../static/index.html");
    const MANIFEST: &str = include_str!("../Cargo.toml");

    /// The words that follow `prefix` up to the next `end`, everywhere in `text`.
    fn after<'a>(text: &'a str, prefix: &str, end: char) -> Vec<&'a str> {
        text.split(prefix)
            .skip(1)
            .filter_map(|rest| rest.split(end).next())
            .collect()
    }

    /// Every lab of the catalog has its bundle: a `lab-<id>` binary, a Trunk link building it
    /// into the page, and an entry in the loader's list; and nothing else does.
    #[test]
    fn every_lab_has_a_bundle_and_the_loader_knows_it() {
        let catalog: BTreeSet<String> = CATALOG.iter().map(|l| l.id.to_string()).collect();
        let bins: BTreeSet<String> = after(MANIFEST, "name = \"lab-", '"')
            .into_iter()
            .map(String::from)
            .collect();
        let links: BTreeSet<String> = after(INDEX, "data-bin=\"lab-", '"')
            .into_iter()
            .map(String::from)
            .collect();
        let list = after(INDEX, "const LABS = [", ']');
        assert_eq!(list.len(), 1, "one loader list in index.html");
        let loader: BTreeSet<String> = list[0]
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(bins, catalog, "web/Cargo.toml binaries");
        assert_eq!(links, catalog, "index.html Trunk links");
        assert_eq!(loader, catalog, "index.html loader list");
        assert!(INDEX.contains("data-bin=\"home\""));
        // Every Trunk link is whole: one `data-bin` per closed `<link … />` tag.
        for link in INDEX.split("<link data-trunk rel=\"rust\"").skip(1) {
            let tag = link.split("/>").next().unwrap_or_default();
            assert_eq!(
                tag.matches("data-bin=").count(),
                1,
                "a malformed rust link: {tag}"
            );
        }
    }
}
