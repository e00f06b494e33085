//! A text field that never puts an older text back while someone types.
//!
//! Dioxus sends an input's `value` to the page on every render of the
//! element, and the page takes it at once. A render answers a keystroke a
//! moment later than the keystroke, more so on a busy phone: the text it
//! carries can be older than what is on the screen by then, and the letters
//! typed in between were wiped ("Familie Rooktest" arrived as "Famili
//! oktest"). This field lets the page own the text while the person types:
//! the element is made with `initial_value` and the page keeps what is
//! typed. Only a change that did not come from typing (a field cleared
//! after a wrong PIN, a proposal taken, rows moving up after one is
//! removed) makes a new element with the new text.

use std::cell::RefCell;
use std::rc::Rc;

use dioxus::prelude::*;

/// What a field knows about its text between renders (not reactive: it is
/// read and written while rendering and in the input handler only).
#[derive(Debug, Default)]
struct Track {
    /// The text the current element was made with.
    made_with: String,
    /// Bumped to make a new element.
    generation: u64,
    /// The text the owner held right after the last keystroke was handed
    /// over, and so the text on screen matched it.
    after_typing: Option<String>,
    /// A keystroke was handed over and the owner has not rendered since.
    typed: bool,
}

impl Track {
    /// Takes the owner's current text; says which element to show.
    fn take(&mut self, text: &str) {
        if self.typed {
            // The owner's answer to typing: the screen already shows what
            // was typed (the owner may hold it trimmed or as a number).
            self.typed = false;
            self.after_typing = Some(text.to_owned());
        } else if let Some(after) = &self.after_typing {
            if after != text {
                self.new_element(text);
            }
        } else if self.made_with != text {
            self.new_element(text);
        }
    }

    fn new_element(&mut self, text: &str) {
        text.clone_into(&mut self.made_with);
        self.generation += 1;
        self.after_typing = None;
    }
}

/// A one-line text field (or a text area with `rows`), its text held by the
/// owner: `text` is what the owner has, `on_input` gets every keystroke's
/// text.
#[component]
pub fn TextBox(
    text: String,
    on_input: EventHandler<String>,
    #[props(into, default)] id: Option<String>,
    #[props(into, default)] name: Option<String>,
    #[props(default = "text")] kind: &'static str,
    #[props(default)] inputmode: Option<&'static str>,
    #[props(into, default)] placeholder: Option<String>,
    #[props(default)] autocomplete: Option<&'static str>,
    #[props(default)] min: Option<&'static str>,
    #[props(default)] required: bool,
    #[props(default)] invalid: bool,
    /// Takes the focus when shown (and when made again).
    #[props(default)]
    focus: bool,
    /// A text area of this many rows instead of one line.
    #[props(default)]
    rows: Option<u32>,
) -> Element {
    let track = use_hook(|| {
        Rc::new(RefCell::new(Track {
            made_with: text.clone(),
            ..Track::default()
        }))
    });
    let (generation, made_with) = {
        let mut t = track.borrow_mut();
        t.take(&text);
        (t.generation, t.made_with.clone())
    };
    let typed = move |e: Event<FormData>| {
        track.borrow_mut().typed = true;
        on_input.call(e.value());
    };
    let focus_it = move |e: MountedEvent| async move {
        if focus {
            let _ = e.set_focus(true).await;
        }
    };
    // A list of one keyed element: a new generation is a new element.
    rsx! {
        if let Some(rows) = rows {
            for g in std::iter::once(generation) {
                textarea { key: "{g}", id: id.clone(), name: name.clone(), rows, placeholder: placeholder.clone(), required,
                    "aria-invalid": invalid.then_some("true"),
                    initial_value: "{made_with}",
                    onmounted: focus_it,
                    oninput: typed.clone() }
            }
        } else {
            for g in std::iter::once(generation) {
                input { key: "{g}", id: id.clone(), name: name.clone(), r#type: kind, inputmode, placeholder: placeholder.clone(), autocomplete, min, required,
                    "aria-invalid": invalid.then_some("true"),
                    initial_value: "{made_with}",
                    onmounted: focus_it,
                    oninput: typed.clone() }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Track;

    fn track(text: &str) -> Track {
        Track {
            made_with: text.to_owned(),
            ..Track::default()
        }
    }

    #[test]
    fn typing_keeps_the_element_whatever_the_owner_makes_of_it() {
        let mut t = track("");
        for text in ["F", "Fa", "Fam"] {
            t.typed = true;
            t.take(text);
        }
        // An optional field holds spaces as nothing: still the same element.
        t.typed = true;
        t.take("");
        // Other renders (another field typed in) change nothing.
        t.take("");
        t.take("");
        assert_eq!(t.generation, 0);
    }

    #[test]
    fn a_change_that_did_not_come_from_typing_makes_a_new_element() {
        let mut t = track("12");
        t.take("12");
        assert_eq!(t.generation, 0);
        // Cleared by the owner before anything was typed.
        t.take("");
        assert_eq!((t.generation, t.made_with.as_str()), (1, ""));
        // Typed, then the owner puts back what the element was made with:
        // the screen shows the typed text, so a new element is needed.
        t.typed = true;
        t.take("4");
        t.take("");
        assert_eq!((t.generation, t.made_with.as_str()), (2, ""));
    }
}
