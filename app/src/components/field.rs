//! A form field with its refusal. A refused form comes back to its page with the field at fault
//! and why (`problem=invalid&field=…&message=…`, see app/README.md); the page gives the field
//! its message, and the field shows it beside the control, marks the control
//! `aria-invalid="true"` and has it described by the message, so a screen reader says why on
//! the field itself.

use leptos::attr::{aria_describedby, aria_invalid};
use leptos::prelude::*;

/// The classes of a field's label.
const LABEL: &str = "mb-1 block text-sm font-medium";

/// A label, its control (the one element given as children, with the field's `id`: it gets
/// the ARIA attributes here, so a page cannot forget them), help under it, and the refusal's
/// message.
#[component]
pub fn Field<C>(
    /// The control's id, which the label names (the control carries it too: its attributes
    /// stay in the order the page writes them).
    #[prop(into)]
    id: String,
    /// The label's words.
    #[prop(into)]
    label: String,
    /// The label's classes: a visible label unless said (`sr-only` where the row says what it
    /// is about).
    #[prop(default = LABEL)]
    label_class: &'static str,
    /// The classes of the field's box (`sm:col-span-2`, say); none unless said.
    #[prop(optional)]
    class: &'static str,
    /// Help under the control (it describes the control, always).
    #[prop(optional)]
    help: Option<&'static str>,
    /// Other elements that describe the control (ids), such as the help of the whole form.
    #[prop(optional, into)]
    described_by: Option<String>,
    /// Why the form was refused for this field, when it was.
    #[prop(optional_no_strip)]
    refusal: Option<String>,
    /// The message's id, which links can point at: `{id}-problem` unless said.
    #[prop(optional, into)]
    refusal_id: Option<String>,
    /// How tests find the message: `problem-field` unless said.
    #[prop(optional, into)]
    refusal_testid: Option<String>,
    children: TypedChildren<C>,
) -> impl IntoView
where
    C: IntoView + AddAnyAttr + 'static,
{
    let refusal_id = refusal_id.unwrap_or_else(|| format!("{id}-problem"));
    let help_id = format!("{id}-help");
    let control = children.into_inner()().add_any_attr((
        aria_describedby(describing(
            refusal.is_some().then_some(refusal_id.as_str()),
            help.is_some().then_some(help_id.as_str()),
            described_by.as_deref(),
        )),
        aria_invalid(refusal.is_some().then_some("true")),
    ));
    let parts = view! {
        <label for=id class=label_class>{label}</label>
        {control}
        {help.map(|help| view! { <p id=help_id class="mt-1 text-xs text-muted">{help}</p> })}
        {refusal.map(|message| view! {
            <Refusal id=refusal_id testid=refusal_testid.unwrap_or_else(|| "problem-field".into())>
                {message}
            </Refusal>
        })}
    };
    // A box without classes has no `class` attribute at all.
    if class.is_empty() {
        view! { <div>{parts}</div> }.into_any()
    } else {
        view! { <div class=class>{parts}</div> }.into_any()
    }
}

/// The value of `aria-describedby`: the refusal first (what to fix), then the help; none when
/// nothing describes the control.
fn describing(refusal: Option<&str>, help: Option<&str>, others: Option<&str>) -> Option<String> {
    let ids: Vec<&str> = [refusal, help, others]
        .into_iter()
        .flatten()
        .filter(|id| !id.is_empty())
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A refusal's message beside what it is about: a [`Field`]'s, or a control that is not a
/// field of its own (a group of checkboxes, the button that adds a pool), which then names
/// `id` in its `aria-describedby` itself.
#[component]
pub fn Refusal(
    #[prop(into)] id: String,
    #[prop(into)] testid: String,
    children: Children,
) -> impl IntoView {
    view! { <p id=id class="mt-1 text-sm text-bad" data-testid=testid>{children()}</p> }
}

#[cfg(test)]
mod tests {
    use super::describing;

    #[test]
    fn a_control_is_described_by_its_refusal_first_then_its_help() {
        assert_eq!(
            describing(Some("name-problem"), Some("name-help"), None).as_deref(),
            Some("name-problem name-help")
        );
        assert_eq!(
            describing(None, Some("name-help"), Some("form-help")).as_deref(),
            Some("name-help form-help")
        );
        assert_eq!(describing(None, None, None), None);
        assert_eq!(describing(None, None, Some("")), None);
    }
}

/// The field as the server renders it (HTML rendering needs the `ssr` feature: `cargo test`
/// of the workspace, or `cargo test -p app --features ssr`).
#[cfg(all(test, feature = "ssr"))]
mod rendered {
    use leptos::prelude::*;

    use super::Field;

    #[test]
    fn a_refused_field_marks_its_control_invalid_and_described_by_the_message() {
        let html = view! {
            <Field id="name" label="Name" help="Letters and digits." refusal=Some("a cluster name is lowercase".to_string())>
                <input id="name" name="name" type="text" />
            </Field>
        }
        .to_html();
        let control = &html[html.find("<input").expect("the control")..];
        let control = &control[..=control.find('>').expect("its end")];
        for attribute in [
            r#"name="name""#,
            r#"id="name""#,
            r#"aria-invalid="true""#,
            r#"aria-describedby="name-problem name-help""#,
        ] {
            assert!(control.contains(attribute), "{attribute}: {control}");
        }
        assert!(html.contains(r#"<label for="name""#), "{html}");
        let message = &html[html.find(r#"<p id="name-problem""#).expect("the message")..];
        let message = &message[..message.find("</p>").expect("its end")];
        assert!(
            message.contains(r#"data-testid="problem-field""#)
                && message.ends_with(">a cluster name is lowercase"),
            "{message}"
        );
    }

    #[test]
    fn a_field_that_was_not_refused_is_described_by_its_help_only() {
        let html = view! {
            <Field id="tags" label="Tags" help="Separated by commas." refusal=None>
                <input id="tags" name="tags" type="text" />
            </Field>
        }
        .to_html();
        assert!(html.starts_with("<div><label"), "{html}");
        assert!(!html.contains("aria-invalid"), "{html}");
        assert!(!html.contains("-problem"), "{html}");
        assert!(html.contains(r#"aria-describedby="tags-help""#), "{html}");
    }
}
