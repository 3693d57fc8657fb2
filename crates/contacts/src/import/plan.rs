//! What each row does: create a contact, update the one it matches, skip, or be refused.
//!
//! A row matches a contact by its phone number, then its email address, then its
//! Telegram id, against the contacts the database has and those earlier rows of the
//! file made, so a repeated row behaves as a duplicate of the first. The [`Book`] holds
//! the addresses known so far; an address a row moves off a contact stays reserved to it
//! for the chunk, so two rows can never hand one address to two contacts at once.

use super::row::Candidate;
use crate::fields::FieldValue;
use msgbuddy_core::db::new_id;
use msgbuddy_domain::contact_import::OnDuplicate;
use std::collections::{HashMap, HashSet};

/// Which address a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Phone,
    Email,
    Telegram,
}

impl KeyKind {
    fn label(self) -> &'static str {
        match self {
            Self::Phone => "phone number",
            Self::Email => "email address",
            Self::Telegram => "Telegram id",
        }
    }
}

/// The row's addresses, in matching order.
pub fn keys(c: &Candidate) -> Vec<(KeyKind, String)> {
    [
        (KeyKind::Phone, &c.phone),
        (KeyKind::Email, &c.email),
        (KeyKind::Telegram, &c.telegram_id),
    ]
    .into_iter()
    .filter_map(|(kind, value)| value.clone().map(|v| (kind, v)))
    .collect()
}

/// The row's address of `kind`.
pub fn key_of(c: &Candidate, kind: KeyKind) -> Option<&String> {
    match kind {
        KeyKind::Phone => c.phone.as_ref(),
        KeyKind::Email => c.email.as_ref(),
        KeyKind::Telegram => c.telegram_id.as_ref(),
    }
}

/// A contact's addresses as the import knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub telegram_id: Option<String>,
    pub deleted: bool,
}

impl Known {
    fn set(&mut self, kind: KeyKind, value: String) {
        match kind {
            KeyKind::Phone => self.phone = Some(value),
            KeyKind::Email => self.email = Some(value),
            KeyKind::Telegram => self.telegram_id = Some(value),
        }
    }

    fn keys(&self) -> Vec<(KeyKind, String)> {
        [
            (KeyKind::Phone, &self.phone),
            (KeyKind::Email, &self.email),
            (KeyKind::Telegram, &self.telegram_id),
        ]
        .into_iter()
        .filter_map(|(kind, value)| value.clone().map(|v| (kind, v)))
        .collect()
    }
}

/// What a row does.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A new contact with this id, and the field defaults it gets.
    Create {
        id: String,
        defaults: Vec<(usize, FieldValue)>,
    },
    Update(String),
    Skip,
    Refuse(String),
}

/// The contacts known to the import, by id and by address.
#[derive(Debug, Default)]
pub struct Book {
    contacts: HashMap<String, Known>,
    by_key: HashMap<(KeyKind, String), String>,
}

impl Book {
    /// Adds a contact the database has, unless the import already knows it (its own
    /// view is newer: a dry run changes nothing in the database).
    pub fn learn(&mut self, id: String, known: Known) {
        if self.contacts.contains_key(&id) {
            return;
        }
        for key in known.keys() {
            self.by_key.entry(key).or_insert_with(|| id.clone());
        }
        self.contacts.insert(id, known);
    }

    /// Whether the contact the row's phone number finds already has `value` as its
    /// address of `kind` (so no other contact can).
    pub fn holds_already(&self, row: &Candidate, kind: KeyKind, value: &str) -> bool {
        let Some(phone) = &row.phone else {
            return false;
        };
        let Some(known) = self
            .by_key
            .get(&(KeyKind::Phone, phone.clone()))
            .and_then(|id| self.contacts.get(id))
        else {
            return false;
        };
        let held = match kind {
            KeyKind::Phone => known.phone.as_deref(),
            KeyKind::Email => known.email.as_deref(),
            KeyKind::Telegram => known.telegram_id.as_deref(),
        };
        held == Some(value)
    }

    /// Decides a row. `new_contact` gives the field defaults a new contact gets, or why it
    /// cannot be made (a required field is missing); it runs only for a new contact.
    pub fn decide(
        &mut self,
        row: &Candidate,
        on_duplicate: OnDuplicate,
        new_contact: impl FnOnce() -> Result<Vec<(usize, FieldValue)>, String>,
    ) -> Decision {
        let keys = keys(row);
        let found: Vec<(KeyKind, String)> = keys
            .iter()
            .filter_map(|key| self.by_key.get(key).map(|id| (key.0, id.clone())))
            .collect();
        let Some((kind, target)) = found.first().cloned() else {
            return match new_contact() {
                Ok(defaults) => {
                    let id = new_id("ct");
                    self.add(&id, &keys);
                    Decision::Create { id, defaults }
                }
                Err(reason) => Decision::Refuse(reason),
            };
        };
        if self.contacts.get(&target).is_some_and(|k| k.deleted) {
            return Decision::Refuse(format!(
                "A deleted contact has this {}: restore it first, or import the row again once it is gone for good.",
                kind.label()
            ));
        }
        if on_duplicate == OnDuplicate::Skip {
            return Decision::Skip;
        }
        if let Some((other, _)) = found.iter().find(|(_, id)| *id != target) {
            return Decision::Refuse(format!(
                "The {} and the {} belong to two different contacts.",
                kind.label(),
                other.label()
            ));
        }
        self.add(&target, &keys);
        Decision::Update(target)
    }

    /// Gives `id` these addresses (those it had stay reserved to it).
    fn add(&mut self, id: &str, keys: &[(KeyKind, String)]) {
        let known = self.contacts.entry(id.to_owned()).or_default();
        for (kind, value) in keys {
            known.set(*kind, value.clone());
            self.by_key.insert((*kind, value.clone()), id.to_owned());
        }
    }
}

/// The workspace's tags by lowercased name, and room for new ones under the limit.
#[derive(Debug, Default)]
pub struct TagBudget {
    known: HashSet<String>,
    room: usize,
}

impl TagBudget {
    pub fn new(existing: impl IntoIterator<Item = String>, limit: usize) -> Self {
        let known: HashSet<String> = existing.into_iter().map(|n| n.to_lowercase()).collect();
        let room = limit.saturating_sub(known.len());
        Self { known, room }
    }

    /// Whether the row's new tags fit.
    pub fn check(&self, names: &[String]) -> Result<(), String> {
        let new = names
            .iter()
            .filter(|n| !self.known.contains(&n.to_lowercase()))
            .count();
        if new > self.room {
            return Err(format!(
                "Tags: the workspace has no room for {new} more tags (it keeps at most {}).",
                crate::tags::MAX_TAGS
            ));
        }
        Ok(())
    }

    /// Counts the row's new tags as made.
    pub fn reserve(&mut self, names: &[String]) {
        for name in names {
            if self.known.insert(name.to_lowercase()) {
                self.room = self.room.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(phone: Option<&str>, email: Option<&str>) -> Candidate {
        Candidate {
            phone: phone.map(str::to_owned),
            email: email.map(str::to_owned),
            ..Candidate::default()
        }
    }

    fn no_defaults() -> Result<Vec<(usize, FieldValue)>, String> {
        Ok(Vec::new())
    }

    #[test]
    fn rows_match_by_phone_then_email_and_earlier_rows_count() {
        let mut book = Book::default();
        book.learn(
            "ct_a".into(),
            Known {
                phone: Some("+1".into()),
                email: Some("a@x.com".into()),
                ..Known::default()
            },
        );
        let upd = OnDuplicate::Update;
        assert_eq!(
            book.decide(&row(Some("+1"), None), upd, no_defaults),
            Decision::Update("ct_a".into())
        );
        assert_eq!(
            book.decide(&row(Some("+9"), Some("a@x.com")), upd, no_defaults),
            Decision::Update("ct_a".into()),
            "found by email, and its phone becomes +9"
        );
        let Decision::Create { id, .. } = book.decide(&row(Some("+2"), None), upd, no_defaults)
        else {
            panic!("a new contact");
        };
        assert_eq!(
            book.decide(&row(Some("+2"), Some("b@x.com")), upd, no_defaults),
            Decision::Update(id.clone()),
            "a repeat of an earlier row updates what it made"
        );
        assert_eq!(
            book.decide(&row(None, Some("b@x.com")), OnDuplicate::Skip, no_defaults),
            Decision::Skip
        );
        assert_eq!(
            book.decide(&row(Some("+2"), Some("a@x.com")), upd, no_defaults),
            Decision::Refuse(
                "The phone number and the email address belong to two different contacts.".into()
            )
        );
        // +1 moved off ct_a above but stays reserved to it in this chunk.
        assert_eq!(
            book.decide(&row(Some("+1"), None), upd, no_defaults),
            Decision::Update("ct_a".into())
        );
    }

    #[test]
    fn deleted_contacts_and_missing_required_fields_refuse_the_row() {
        let mut book = Book::default();
        book.learn(
            "ct_d".into(),
            Known {
                phone: Some("+1".into()),
                deleted: true,
                ..Known::default()
            },
        );
        let decided = book.decide(&row(Some("+1"), None), OnDuplicate::Skip, no_defaults);
        assert!(
            matches!(decided, Decision::Refuse(r) if r.starts_with("A deleted contact has this phone number"))
        );
        let refused = book.decide(&row(Some("+3"), None), OnDuplicate::Update, || {
            Err("Tier is required.".into())
        });
        assert_eq!(refused, Decision::Refuse("Tier is required.".into()));
        // The refused row left nothing behind: the next one with +3 is new.
        assert!(matches!(
            book.decide(&row(Some("+3"), None), OnDuplicate::Update, no_defaults),
            Decision::Create { .. }
        ));
    }

    #[test]
    fn the_database_view_never_overrides_the_imports_own() {
        let mut book = Book::default();
        book.learn(
            "ct_a".into(),
            Known {
                email: Some("a@x.com".into()),
                ..Known::default()
            },
        );
        book.decide(
            &row(Some("+5"), Some("a@x.com")),
            OnDuplicate::Update,
            no_defaults,
        );
        book.learn(
            "ct_a".into(),
            Known {
                email: Some("a@x.com".into()),
                ..Known::default()
            },
        );
        assert_eq!(
            book.decide(&row(Some("+5"), None), OnDuplicate::Update, no_defaults),
            Decision::Update("ct_a".into())
        );
    }

    #[test]
    fn new_tags_fit_under_the_limit() {
        let mut budget = TagBudget::new(["VIP".to_owned(), "new".to_owned()], 3);
        let names = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(budget.check(&names(&["vip", "NEW", "third"])).is_ok());
        budget.reserve(&names(&["third"]));
        assert!(budget.check(&names(&["Third", "vip"])).is_ok());
        assert!(budget.check(&names(&["fourth"])).is_err());
    }
}
