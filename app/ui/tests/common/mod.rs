//! Driving a VirtualDom like a user: find an element, fire an event, read
//! the render.

#![allow(dead_code)] // each test file uses its own subset

use std::any::Any;
use std::rc::Rc;

use dioxus::core::{ElementId, Event, Mutation, Mutations, VirtualDom};

pub fn listeners(muts: &Mutations, event: &str) -> Vec<ElementId> {
    muts.edits
        .iter()
        .filter_map(|m| match m {
            Mutation::NewEventListener { name, id } if name == event => Some(*id),
            _ => None,
        })
        .collect()
}

/// The element whose dynamic attribute `name` satisfies `pick` (ids of
/// inputs, `data-group` of add buttons), as created in these mutations.
pub fn element(muts: &Mutations, name: &str, pick: impl Fn(&str) -> bool) -> ElementId {
    muts.edits
        .iter()
        .find_map(|m| match m {
            Mutation::SetAttribute {
                name: n,
                value: dioxus::core::AttributeValue::Text(v),
                id,
                ..
            } if *n == name && pick(v) => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no element with {name}"))
}

pub fn form_event(value: &str) -> Event<dyn Any> {
    let data = dioxus::html::PlatformEventData::new(Box::new(
        dioxus::html::SerializedFormData::new(value.into(), vec![]),
    ));
    Event::new(Rc::new(data) as Rc<dyn Any>, true)
}

pub fn click_event() -> Event<dyn Any> {
    let data =
        dioxus::html::PlatformEventData::new(Box::<dioxus::html::SerializedMouseData>::default());
    Event::new(Rc::new(data) as Rc<dyn Any>, true)
}

/// Fires an event and returns the mutations of the render that follows.
pub fn fire(dom: &mut VirtualDom, name: &str, event: Event<dyn Any>, id: ElementId) -> Mutations {
    dom.runtime().handle_event(name, event, id);
    dom.process_events();
    dom.render_immediate_to_vec()
}

/// What these mutations write into element `id`'s text (its `value` or the
/// `initial_value` it is made with).
pub fn text_writes(muts: &Mutations, id: ElementId) -> Vec<String> {
    muts.edits
        .iter()
        .filter_map(|m| match m {
            Mutation::SetAttribute {
                name,
                value: dioxus::core::AttributeValue::Text(v),
                id: at,
                ..
            } if *at == id && (*name == "value" || *name == "initial_value") => Some(v.clone()),
            _ => None,
        })
        .collect()
}

/// Where axe-core's script is: `BRUG_AXE`, else where `scripts/install-deps`
/// puts it.
fn axe_script() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("BRUG_AXE") {
        return p.into();
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/a11y-tools/node_modules/axe-core/axe.min.js")
}

/// Audits `screen` (a screen's HTML, as rendered) with axe-core in headless
/// Chromium, inside the app's shell and style sheet, in a phone's width
/// (360 CSS px), against the WCAG 2.1 A and AA rules; returns each
/// violation as "rule: help (elements)", and "overflow: ..." when anything
/// reaches past the window's width (a phone would scroll sideways).
///
/// Fails loudly when Chromium or axe-core is missing (`make deps` installs
/// both): an audit that did not run must not pass.
pub fn axe_violations(name: &str, lang: &str, screen: &str) -> Vec<String> {
    let axe = axe_script();
    let script = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
        panic!(
            "axe-core ontbreekt / is missing at {} ({e}): run `make deps` (npm install axe-core) or set BRUG_AXE",
            axe.display()
        )
    });
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("Chromium ontbreekt / is missing: run `make deps` (apt-get install chromium)")
        });
    let style = include_str!("../../src/style.css");
    let page = format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Brug — {name}</title><style>{style}</style><style>/* a phone's scroll bars take no width */ ::-webkit-scrollbar {{ display: none; }}</style></head>
<body><div class="shell"><header class="top"><span class="brand">Brug</span></header><main>{screen}</main></div>
<script>{script}</script>
<script>
axe.run(document.querySelector('.shell'), {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})
  .then(r => r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).slice(0, 4).join(', ') + ')'))
  .catch(e => ['axe failed: ' + e])
  .then(found => {{
    // No horizontal scrolling on a phone: nothing reaches past the window.
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('.shell *')]
      .filter(el => el.getBoundingClientRect().right > width + 1)
      .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' to ' + Math.round(el.getBoundingClientRect().right) + ' px');
    if (wide.length) found.push('overflow: wider than ' + width + ' px (' + wide.slice(0, 4).join(', ') + ')');
    return found;
  }})
  .then(found => parent.postMessage(JSON.stringify(found), '*'));
</script></body></html>"#
    );
    // The screen in a frame a phone wide (Chromium's own window cannot be
    // made that narrow); the frame's page hands its findings up.
    let frame = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>audit</title></head><body>
<iframe src="screen.html" title="screen" width="360" height="800" style="border:0"></iframe>
<script>window.addEventListener('message', e => { const pre = document.createElement('pre'); pre.id = 'axe-result'; pre.textContent = e.data; document.body.appendChild(pre); });</script>
</body></html>"#;
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("screen.html"), &page).expect("the page written");
    // BRUG_AXE_KEEP=DIR keeps each audited page there, to look at.
    if let Some(keep) = std::env::var_os("BRUG_AXE_KEEP") {
        let keep = std::path::PathBuf::from(keep);
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::write(keep.join(format!("{name}.html")), &page);
    }
    let file = dir.path().join(format!("{name}.html"));
    std::fs::write(&file, frame).expect("the frame written");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=800,900",
            // Lets the page's promises run to the end before the DOM is read
            // (virtual time: not a wait on the wall clock).
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"axe-result\">").unwrap_or_else(|| {
        panic!(
            "{name}: axe gave no result; chromium said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rest = &dom[start + "<pre id=\"axe-result\">".len()..];
    let json = rest[..rest.find("</pre>").expect("the result's end")]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}: {json}"))
}

/// Fails when axe-core finds any WCAG 2.1 A/AA violation in `html`.
pub fn assert_accessible(name: &str, lang: &str, html: &str) {
    let found = axe_violations(name, lang, html);
    assert!(
        found.is_empty(),
        "axe found in {name}:\n{}",
        found.join("\n")
    );
}
