//! Confirm-by-typing for destructive actions: the button posts only once the object's name is
//! typed (the browser checks the pattern; the server checks again, and works without
//! JavaScript). Extra fields (a checkbox, say) go in as children.

use leptos::prelude::*;

use super::hidden_fields::HiddenFields;
use crate::routes::FormTo;

#[component]
pub fn TypedConfirmation(
    /// Where the form posts, and what it is about.
    to: FormTo,
    /// The name to type.
    name: String,
    /// The button's words.
    button: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    // The name contains only letters, digits, '-', '_' and '.'; '.' is escaped for the pattern.
    let pattern = name.replace('.', "\\.");
    // Unique on a page that lists several things to delete (one per pool).
    let input_id = format!("confirm-{}-{name}", button.to_lowercase().replace(' ', "-"));
    view! {
        <form method="post" action=to.action class="space-y-3">
            <HiddenFields to=to.clone() />
            {children.map(|children| children())}
            <div>
                <label for=input_id.clone() class="mb-1 block text-sm">
                    "Type " <strong class="font-mono">{name.clone()}</strong> " to confirm"
                </label>
                <input
                    id=input_id
                    name="confirm_name"
                    type="text"
                    required
                    autocomplete="off"
                    pattern=pattern
                    // Browsers add the title to their "match the requested format" message.
                    title=format!("Type {name} exactly")
                    class="block w-full min-h-11 rounded-md border border-line bg-canvas px-3 text-base"
                />
            </div>
            <button type="submit" class="min-h-11 rounded-md border border-bad px-4 text-sm font-medium text-bad hover:bg-bad-soft">
                {button}
            </button>
        </form>
    }
}
