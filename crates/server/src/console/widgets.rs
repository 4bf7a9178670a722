//! The pieces every page family's pages are made of: the scrolling table of a list, the note
//! of an empty list, the page asking to confirm a deletion or removal. One place for their
//! markup so that every list reads the same to a screen reader (named region, caption, column
//! headers) and a change to one is a change to all.

use maud::{Markup, Render, html};

use super::{Html, Section, SignedIn, alert, csrf, page_status};

/// A table of `rows` (the `tr`s) in a keyboard-scrollable region named `region_label`, with
/// `caption` (visually hidden: the region's name is what is seen) and a header of `columns`,
/// plus a visually hidden "Actions" column when `with_actions`.
pub(crate) fn data_table(
    region_label: &str,
    caption: Option<&str>,
    columns: &[&str],
    with_actions: bool,
    rows: Markup,
) -> Markup {
    html! {
        div class="table-scroll" tabindex="0" role="region" aria-label=(region_label) {
            table {
                @if let Some(caption) = caption {
                    caption class="visually-hidden" { (caption) }
                }
                thead { tr {
                    @for column in columns {
                        th scope="col" { (column) }
                    }
                    @if with_actions { th scope="col" { span class="visually-hidden" { "Actions" } } }
                } }
                tbody { (rows) }
            }
        }
    }
}

/// The note in place of a list's table when its page is empty, announced (`role="status"`)
/// because it answers what was asked for (a page, a search, filters).
pub(crate) fn empty_page(text: impl Render) -> Markup {
    html! { p class="empty" role="status" { (text) } }
}

/// The note in place of a part of a page that holds nothing (a section of a detail page).
pub(crate) fn empty_note(text: impl Render) -> Markup {
    html! { p class="empty" { (text) } }
}

/// A page that asks before doing what cannot be undone (a deletion, a removal, a reset): the
/// `GET` of such a route shows it, its form posts to the same change. Without JavaScript this
/// page is the confirmation; `console.js` asks again where `data_confirm` is set.
pub(crate) struct Confirmation<'a> {
    /// The nav section the page belongs to.
    pub section: Section,
    /// The document's title.
    pub title: &'a str,
    /// The breadcrumb's links, back to where the page was asked from.
    pub breadcrumb: Markup,
    /// The heading: the question.
    pub question: Markup,
    /// A refused earlier attempt, shown under the heading (the page then answers 400).
    pub refusal: Option<&'a str>,
    /// What the change does.
    pub text: Markup,
    /// A warning shown after `text`.
    pub warning: Option<&'a str>,
    /// Where the form posts.
    pub action: &'a str,
    /// The question `console.js` asks before sending, if any.
    pub data_confirm: Option<&'a str>,
    /// The danger button's label.
    pub button: &'a str,
    /// Where "Cancel" goes.
    pub cancel: &'a str,
}

impl Confirmation<'_> {
    /// The page, as `session` sees it.
    pub(crate) fn page(self, session: &SignedIn) -> Html {
        let content = html! {
            p class="breadcrumb" { (self.breadcrumb) }
            h1 { (self.question) }
            @if let Some(message) = self.refusal {
                (alert(message))
            }
            p { (self.text) }
            @if let Some(message) = self.warning {
                (alert(message))
            }
            form method="post" action=(self.action) class="actions" data-confirm=[self.data_confirm] {
                (csrf::field(session))
                button type="submit" class="button-danger" { (self.button) }
                a href=(self.cancel) class="button button-secondary" { "Cancel" }
            }
        };
        let status = page_status(self.refusal.is_some());
        Html(status, session.page(self.section, self.title, content))
    }
}
