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

/// Chromium, from Debian's package (`make deps`).
fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("Chromium ontbreekt / is missing: run `make deps` (apt-get install chromium)")
        })
}

/// Shows `screen` (a screen's HTML, as rendered) in headless Chromium,
/// inside the app's shell and style sheet, in a frame `width` x `height`
/// CSS px (a phone: Chromium's own window cannot be made that narrow), runs
/// `scripts` there and returns the JSON text the promise `probe` (a
/// JavaScript expression) resolves to.
pub fn in_frame(
    name: &str,
    lang: &str,
    screen: &str,
    (width, height): (u32, u32),
    scripts: &str,
    probe: &str,
) -> String {
    let style = include_str!("../../src/style.css");
    // The tabs a bridge worker has, as the app's header shows them.
    let nav = if lang == "en" {
        r#"<nav><button class="on">Cases</button><button>Activities</button><button>Settings</button><button>Lock</button></nav>"#
    } else {
        r#"<nav><button class="on">Dossiers</button><button>Activiteiten</button><button>Instellingen</button><button>Vergrendelen</button></nav>"#
    };
    let page = format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Brug — {name}</title><style>{style}</style><style>/* a phone's scroll bars take no width */ ::-webkit-scrollbar {{ display: none; }}</style></head>
<body><div class="shell"><header class="top"><span class="brand">Brug</span>{nav}</header><main>{screen}</main></div>
<script>{scripts}</script>
<script>
Promise.resolve().then(() => {probe}).catch(e => 'probe failed: ' + e)
  .then(found => parent.postMessage(JSON.stringify(found), '*'));
</script></body></html>"#
    );
    // The frame's page hands its result up to the page Chromium shows.
    let frame = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>audit</title></head><body>
<iframe src="screen.html" title="screen" width="{width}" height="{height}" style="border:0"></iframe>
<script>window.addEventListener('message', e => {{ const pre = document.createElement('pre'); pre.id = 'probe-result'; pre.textContent = e.data; document.body.appendChild(pre); }});</script>
</body></html>"#
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("screen.html"), &page).expect("the page written");
    // BRUG_AXE_KEEP=DIR keeps each page there, to look at.
    if let Some(keep) = std::env::var_os("BRUG_AXE_KEEP") {
        let keep = std::path::PathBuf::from(keep);
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::write(keep.join(format!("{name}.html")), &page);
    }
    let file = dir.path().join(format!("{name}.html"));
    std::fs::write(&file, frame).expect("the frame written");
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1000,1000",
            // Lets the page's promises run to the end before the DOM is read
            // (virtual time: not a wait on the wall clock).
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"probe-result\">").unwrap_or_else(|| {
        panic!(
            "{name}: the page gave no result; chromium said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rest = &dom[start + "<pre id=\"probe-result\">".len()..];
    rest[..rest.find("</pre>").expect("the result's end")]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Audits `screen` with axe-core in headless Chromium, in a phone's width
/// (360 CSS px, [`in_frame`]), against the WCAG 2.1 A and AA rules; returns
/// each violation as "rule: help (elements)", and "overflow: ..." when
/// anything reaches past the frame's width (a phone would scroll sideways).
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
    let probe = r#"axe.run(document.querySelector('.shell'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).slice(0, 4).join(', ') + ')'))
  .catch(e => ['axe failed: ' + e])
  .then(found => {
    // No horizontal scrolling on a phone: nothing reaches past the window.
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('.shell *')]
      .filter(el => el.getBoundingClientRect().right > width + 1)
      .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' to ' + Math.round(el.getBoundingClientRect().right) + ' px');
    if (wide.length) found.push('overflow: wider than ' + width + ' px (' + wide.slice(0, 4).join(', ') + ')');
    return found;
  })"#;
    let json = in_frame(name, lang, screen, (360, 800), &script, probe);
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
