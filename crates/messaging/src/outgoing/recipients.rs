//! The contacts and conversations a batch of sends goes to, found and created a batch at
//! a time: one query per kind of address finds every known contact, one per channel every
//! open conversation, and one insert per kind and per channel creates what the accepted
//! sends still need. Per message this is a fraction of a statement instead of four.

use super::{Draft, Target};
use crate::contacts::{self, AddressKind, ContactFlags};
use crate::conversations;
use msgbuddy_contacts::opt_outs;
use msgbuddy_core::Result;
use msgbuddy_core::db::{new_id, placeholders, positional, rows_per_statement};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A contact by workspace, mode, kind of address and address.
type ContactKey = (String, bool, AddressKind, String);
/// An open conversation by channel, mode and contact.
type ConversationKey = (String, bool, String);

#[derive(Debug, Clone)]
pub(super) struct Contact {
    pub id: String,
    pub name: String,
    pub flags: ContactFlags,
}

impl Contact {
    /// From a row whose first columns are `id, name, opt-out mask, blocked`.
    fn read(row: &sqlx::any::AnyRow) -> Result<Self> {
        let (id, name, flags) = contacts::read(row)?;
        Ok(Contact { id, name, flags })
    }
}

/// An existing conversation a send names, with its contact.
#[derive(Debug, Clone)]
struct Named {
    contact: Contact,
    last_inbound: Option<i64>,
}

#[derive(Debug, Default)]
pub(super) struct Recipients {
    contacts: HashMap<ContactKey, Contact>,
    /// Open conversations: id and when the customer last wrote.
    open: HashMap<ConversationKey, (String, Option<i64>)>,
    named: HashMap<String, Named>,
}

fn contact_key(d: &Draft) -> Option<ContactKey> {
    match &d.target {
        Target::Address { kind, address, .. } => {
            Some((d.workspace_id.clone(), d.is_test, *kind, address.clone()))
        }
        Target::Conversation(_) => None,
    }
}

impl Recipients {
    /// Everything the drafts name that exists already.
    pub async fn find(conn: &mut AnyConnection, drafts: &[&Draft]) -> Result<Self> {
        let mut known = Recipients::default();
        let mut groups: HashMap<(String, bool, AddressKind), Vec<String>> = HashMap::new();
        for d in drafts {
            match &d.target {
                Target::Address { kind, address, .. } => {
                    let group = groups
                        .entry((d.workspace_id.clone(), d.is_test, *kind))
                        .or_default();
                    if !group.contains(address) {
                        group.push(address.clone());
                    }
                }
                Target::Conversation(id) => known.find_named(conn, d, id).await?,
            }
        }
        for ((ws, is_test, kind), addresses) in groups {
            known
                .find_contacts(conn, &ws, is_test, kind, &addresses)
                .await?;
        }
        let mut wanted: HashMap<(String, bool), Vec<String>> = HashMap::new();
        for d in drafts {
            if let Some(contact) = contact_key(d).and_then(|k| known.contacts.get(&k)) {
                let ids = wanted.entry((d.channel_id.clone(), d.is_test)).or_default();
                if !ids.contains(&contact.id) {
                    ids.push(contact.id.clone());
                }
            }
        }
        for ((channel_id, is_test), contact_ids) in wanted {
            known
                .find_open(conn, &channel_id, is_test, &contact_ids)
                .await?;
        }
        Ok(known)
    }

    async fn find_named(&mut self, conn: &mut AnyConnection, d: &Draft, id: &str) -> Result<()> {
        if self.named.contains_key(id) {
            return Ok(());
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.contact_id, ct.name, {}, ct.blocked, c.last_inbound_at \
             FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1 AND c.workspace_id = $2",
            opt_outs::mask_sql("ct.id")
        )))
        .bind(id)
        .bind(&d.workspace_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            self.named.insert(
                id.to_owned(),
                Named {
                    contact: Contact::read(&row)?,
                    last_inbound: row.try_get(4)?,
                },
            );
        }
        Ok(())
    }

    async fn find_contacts(
        &mut self,
        conn: &mut AnyConnection,
        ws: &str,
        is_test: bool,
        kind: AddressKind,
        addresses: &[String],
    ) -> Result<()> {
        let column = kind.column();
        for chunk in addresses.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT id, name, {}, blocked, {column} FROM contacts \
                 WHERE workspace_id = $1 AND is_test = $2 AND {column} IN {}",
                opt_outs::mask_sql("contacts.id"),
                in_list(chunk.len(), 3)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)))
                .bind(ws)
                .bind(i64::from(is_test));
            for address in chunk {
                query = query.bind(address);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let address: String = row.try_get(4)?;
                self.contacts.insert(
                    (ws.to_owned(), is_test, kind, address),
                    Contact::read(&row)?,
                );
            }
        }
        Ok(())
    }

    async fn find_open(
        &mut self,
        conn: &mut AnyConnection,
        channel_id: &str,
        is_test: bool,
        contact_ids: &[String],
    ) -> Result<()> {
        for chunk in contact_ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "SELECT id, last_inbound_at, contact_id FROM conversations \
                 WHERE channel_account_id = $1 AND is_test = $2 AND status <> 'resolved' AND contact_id IN {}",
                in_list(chunk.len(), 3)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)))
                .bind(channel_id)
                .bind(i64::from(is_test));
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let contact_id: String = row.try_get(2)?;
                self.open.insert(
                    (channel_id.to_owned(), is_test, contact_id),
                    (row.try_get(0)?, row.try_get(1)?),
                );
            }
        }
        Ok(())
    }

    /// The draft's contact (if it exists yet) and when the customer last wrote in its open
    /// conversation: what the channel's rules are checked against. `None` when the draft
    /// names a conversation that is not there.
    pub fn for_rules(&self, d: &Draft) -> Option<(ContactFlags, Option<i64>)> {
        match &d.target {
            Target::Conversation(id) => self
                .named
                .get(id)
                .map(|n| (n.contact.flags, n.last_inbound)),
            Target::Address { .. } => {
                let Some(contact) = contact_key(d).and_then(|k| self.contacts.get(&k)) else {
                    return Some((ContactFlags::default(), None));
                };
                let open = self
                    .open
                    .get(&(d.channel_id.clone(), d.is_test, contact.id.clone()));
                Some((contact.flags, open.and_then(|(_, at)| *at)))
            }
        }
    }

    /// Creates the contacts and conversations the accepted drafts still lack.
    pub async fn create_missing(
        &mut self,
        conn: &mut AnyConnection,
        accepted: &[&Draft],
        now: i64,
    ) -> Result<()> {
        let mut new_contacts: HashMap<(String, bool, AddressKind), Vec<(String, String)>> =
            HashMap::new();
        for d in accepted {
            if let (Some(key), Target::Address { name, .. }) = (contact_key(d), &d.target)
                && !self.contacts.contains_key(&key)
            {
                let (ws, is_test, kind, address) = key;
                let group = new_contacts.entry((ws, is_test, kind)).or_default();
                if !group.iter().any(|(a, _)| *a == address) {
                    let name = contacts::display_name(name.as_deref(), &address);
                    group.push((address, name));
                }
            }
        }
        for ((ws, is_test, kind), rows) in new_contacts {
            self.create_contacts(conn, &ws, is_test, kind, &rows, now)
                .await?;
        }
        let mut new_conversations: HashMap<(String, bool), (String, Vec<String>)> = HashMap::new();
        for d in accepted {
            let Some(contact) = self.contact(d) else {
                continue;
            };
            let key = (d.channel_id.clone(), d.is_test, contact.id.clone());
            if matches!(d.target, Target::Address { .. }) && !self.open.contains_key(&key) {
                let (_, ids) = new_conversations
                    .entry((d.channel_id.clone(), d.is_test))
                    .or_insert_with(|| (d.workspace_id.clone(), Vec::new()));
                if !ids.contains(&contact.id) {
                    ids.push(contact.id.clone());
                }
            }
        }
        for ((channel_id, is_test), (ws, contact_ids)) in new_conversations {
            self.open_conversations(conn, &ws, &channel_id, is_test, &contact_ids, now)
                .await?;
        }
        Ok(())
    }

    async fn create_contacts(
        &mut self,
        conn: &mut AnyConnection,
        ws: &str,
        is_test: bool,
        kind: AddressKind,
        rows: &[(String, String)],
        now: i64,
    ) -> Result<()> {
        const COLUMNS: usize = 8;
        let column = kind.column();
        for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
            let sql = format!(
                "INSERT INTO contacts (id, workspace_id, is_test, name, {column}, created_at, updated_at, last_seen_at) \
                 VALUES {} ON CONFLICT (workspace_id, is_test, {column}) DO NOTHING RETURNING id, name, {column}",
                placeholders(chunk.len(), COLUMNS, 1)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
            for (address, name) in chunk {
                insert = insert
                    .bind(new_id("ct"))
                    .bind(ws)
                    .bind(i64::from(is_test))
                    .bind(name)
                    .bind(address)
                    .bind(now)
                    .bind(now)
                    .bind(now);
            }
            for row in insert.fetch_all(&mut *conn).await? {
                let address: String = row.try_get(2)?;
                self.contacts.insert(
                    (ws.to_owned(), is_test, kind, address),
                    Contact {
                        id: row.try_get(0)?,
                        name: row.try_get(1)?,
                        flags: ContactFlags::default(),
                    },
                );
            }
            // Created by another writer meanwhile (PostgreSQL): read them back.
            for (address, _) in chunk {
                let key = (ws.to_owned(), is_test, kind, address.clone());
                if self.contacts.contains_key(&key) {
                    continue;
                }
                if let Some((id, name, flags)) =
                    contacts::find(conn, ws, is_test, kind, address).await?
                {
                    self.contacts.insert(key, Contact { id, name, flags });
                }
            }
        }
        Ok(())
    }

    async fn open_conversations(
        &mut self,
        conn: &mut AnyConnection,
        ws: &str,
        channel_id: &str,
        is_test: bool,
        contact_ids: &[String],
        now: i64,
    ) -> Result<()> {
        const COLUMNS: usize = 9;
        for chunk in contact_ids.chunks(rows_per_statement(COLUMNS)) {
            let sql = format!(
                "INSERT INTO conversations (id, workspace_id, is_test, channel_account_id, contact_id, status, last_message_at, created_at, updated_at) \
                 VALUES {} ON CONFLICT (channel_account_id, contact_id, is_test) WHERE status <> 'resolved' DO NOTHING RETURNING id, contact_id",
                placeholders(chunk.len(), COLUMNS, 1)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(positional(conn, sql)));
            for contact_id in chunk {
                insert = insert
                    .bind(new_id("cv"))
                    .bind(ws)
                    .bind(i64::from(is_test))
                    .bind(channel_id)
                    .bind(contact_id)
                    .bind("open")
                    .bind(now)
                    .bind(now)
                    .bind(now);
            }
            for row in insert.fetch_all(&mut *conn).await? {
                let contact_id: String = row.try_get(1)?;
                self.open.insert(
                    (channel_id.to_owned(), is_test, contact_id),
                    (row.try_get(0)?, None),
                );
            }
            for contact_id in chunk {
                let key = (channel_id.to_owned(), is_test, contact_id.clone());
                if self.open.contains_key(&key) {
                    continue;
                }
                if let Some(found) =
                    conversations::find_open(conn, is_test, channel_id, contact_id).await?
                {
                    self.open.insert(key, found);
                }
            }
        }
        Ok(())
    }

    /// The draft's contact, once it exists.
    pub fn contact(&self, d: &Draft) -> Option<&Contact> {
        match &d.target {
            Target::Conversation(id) => self.named.get(id).map(|n| &n.contact),
            Target::Address { .. } => contact_key(d).and_then(|k| self.contacts.get(&k)),
        }
    }

    /// The conversation the draft goes into, once it exists.
    pub fn conversation(&self, d: &Draft) -> Option<String> {
        match &d.target {
            Target::Conversation(id) => self.named.contains_key(id).then(|| id.clone()),
            Target::Address { .. } => {
                let contact = self.contact(d)?;
                self.open
                    .get(&(d.channel_id.clone(), d.is_test, contact.id.clone()))
                    .map(|(id, _)| id.clone())
            }
        }
    }
}

/// `($first, $first+1, ...)` for `n` values.
fn in_list(n: usize, first: usize) -> String {
    let list = (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("({list})")
}
