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
