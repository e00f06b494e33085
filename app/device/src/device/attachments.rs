//! Photos and PDFs on records: re-encoded ([`crate::photo`]), stored in the
//! encrypted database by their hash, referenced from the case.

use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{AttachmentLimits, AttachmentRef, BlobHash};
use chrono::{Datelike, TimeZone};
use serde::Serialize;
use uuid::Uuid;

use super::{Device, DeviceError};
use crate::local;
use crate::photo;

/// An attachment just added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attached {
    /// The reference's id in the case.
    pub id: Uuid,
    /// The stored bytes' hash.
    pub hash: BlobHash,
    /// The reference as the case holds it.
    pub attachment: AttachmentRef,
}

/// Where an attachment's bytes are for this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Here.
    Here(Vec<u8>),
    /// Not here: on the server, if a visible case references it.
    Elsewhere,
}

impl Device {
    /// The limits on attachments: the deployment's (setting
    /// `attachment_limits`, JSON) or the defaults.
    pub fn attachment_limits(&self) -> AttachmentLimits {
        self.store
            .setting("attachment_limits")
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    /// Sets the limits on attachments.
    pub fn set_attachment_limits(&self, limits: &AttachmentLimits) -> Result<(), DeviceError> {
        let json =
            serde_json::to_string(limits).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        Ok(self.store.set_setting("attachment_limits", &json)?)
    }

    /// Attaches a file to a record or an item of one (`on`: a record id, or
    /// a defect's or reading's id): a photo is re-encoded (no metadata,
    /// orientation applied, downscaled) and gets a thumbnail; a PDF is kept
    /// as it is. Bytes and reference are saved in one transaction. Refused,
    /// with nothing changed: an unknown type, a file or image over the
    /// limits, the case's or the day's budget spent, a record not in the
    /// case.
    pub fn attach(
        &mut self,
        case_id: Uuid,
        on: &str,
        file: &[u8],
        caption: &str,
    ) -> Result<Attached, DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let no_such = || DeviceError::NoSuchRecord(on.to_owned());
        let on = Uuid::parse_str(on.trim()).map_err(|_| no_such())?;
        let owner = case.owner_of(on).ok_or_else(no_such)?;
        let limits = self.attachment_limits();
        let prepared =
            photo::prepare(file, &limits).map_err(|e| DeviceError::BadInput(e.to_string()))?;
        let size = prepared.bytes.len() as u64;
        let thumb_size = prepared.thumb.as_ref().map_or(0, |t| t.1.len() as u64);
        let mut in_case: Vec<(&BlobHash, u64)> = case
            .attachments
            .values()
            .map(|a| (&a.hash, a.size))
            .collect();
        in_case.sort();
        in_case.dedup();
        let case_bytes: u64 = in_case.iter().map(|(_, s)| s).sum();
        if case_bytes + size > limits.max_case_bytes {
            return Err(DeviceError::BadInput(format!(
                "de bijlagen van dit dossier zouden samen {} bytes zijn; het maximum is {} bytes",
                case_bytes + size,
                limits.max_case_bytes
            )));
        }
        let today = self.start_of_today_ms();
        let made_today = local::blob_bytes_made_since(self.store.conn(), today)?;
        if made_today + size + thumb_size > limits.max_device_day_bytes {
            return Err(DeviceError::BadInput(format!(
                "dit toestel voegde vandaag al {made_today} bytes aan bijlagen toe; het maximum per dag is {} bytes",
                limits.max_device_day_bytes
            )));
        }
        let attachment = AttachmentRef {
            on,
            hash: prepared.hash.clone(),
            stored: prepared.stored,
            size,
            width: prepared.size_px.map(|p| p.0),
            height: prepared.size_px.map(|p| p.1),
            thumb: prepared.thumb.as_ref().map(|t| t.0.clone()),
            caption: caption.trim().to_owned(),
            by: self.info.user.clone(),
            at: (self.now)(),
        };
        let id = Uuid::now_v7();
        doc.add_attachment(id, &attachment, Some(owner))?;
        let mut blobs: Vec<(&BlobHash, &[u8])> = vec![(&prepared.hash, &prepared.bytes)];
        if let Some((h, b)) = &prepared.thumb {
            blobs.push((h, b));
        }
        self.save_case(&mut doc, false, None, &blobs)?;
        Ok(Attached {
            id,
            hash: prepared.hash,
            attachment,
        })
    }

    /// [`Self::attach`] with a file from disk; its size is checked before
    /// it is read.
    pub fn attach_file(
        &mut self,
        case_id: Uuid,
        on: &str,
        path: &std::path::Path,
        caption: &str,
    ) -> Result<Attached, DeviceError> {
        let unreadable = |e: std::io::Error| {
            DeviceError::BadInput(format!("{} kan niet gelezen worden: {e}", path.display()))
        };
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        let max = self.attachment_limits().max_file_bytes;
        if size > max {
            return Err(DeviceError::BadInput(
                photo::PhotoError::TooLarge { size, max }.to_string(),
            ));
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        self.attach(case_id, on, &bytes, caption)
    }

    /// Removes an attachment from its record: the reference goes, the
    /// case's history keeps who added and who removed it. The bytes go at
    /// a later sync once no case here needs them and the server has them
    /// (the server keeps them for the grace period).
    pub fn remove_attachment(&mut self, case_id: Uuid, id: Uuid) -> Result<(), DeviceError> {
        self.guard()?;
        let mut doc = self.load(case_id)?;
        let case = doc.case()?;
        let attachment = case
            .attachments
            .get(&id)
            .ok_or_else(|| DeviceError::NoSuchRecord(id.to_string()))?;
        let owner = case.owner_of(attachment.on);
        doc.remove_attachment(id, owner)?;
        self.save_case(&mut doc, false, None, &[])
    }

    /// An attachment's bytes if this device holds them, for a hash a case
    /// on this device references (any other hash: [`DeviceError::NoSuchAttachment`]).
    pub fn attachment_here(&self, hash: &BlobHash) -> Result<Held, DeviceError> {
        self.guard()?;
        if !local::blob_referenced(self.store.conn(), hash)? {
            return Err(DeviceError::NoSuchAttachment(hash.to_string()));
        }
        match local::blob(self.store.conn(), hash)? {
            Some(bytes) => {
                local::touch_blob(self.store.conn(), hash, self.now_ms())?;
                Ok(Held::Here(bytes))
            }
            None => Ok(Held::Elsewhere),
        }
    }

    /// The thumbnails of a case's photos held here.
    pub(super) fn thumbs_of(
        &self,
        case: &brug_shared::model::Case,
    ) -> Result<std::collections::BTreeMap<BlobHash, std::sync::Arc<Vec<u8>>>, DeviceError> {
        let mut out = std::collections::BTreeMap::new();
        for a in case.attachments.values() {
            if let Some(t) = &a.thumb
                && let Some(bytes) = local::blob(self.store.conn(), t)?
            {
                out.insert(t.clone(), std::sync::Arc::new(bytes));
            }
        }
        Ok(out)
    }

    /// Each attachment of a case with the record it is on.
    pub(super) fn attachment_lines(
        &self,
        case: &brug_shared::model::Case,
    ) -> Result<Vec<super::AttachmentLine>, DeviceError> {
        let owners = case.item_owners();
        let mut out = Vec::new();
        for (id, a) in &case.attachments {
            let record = match owners.get(&a.on) {
                Some((kind, record)) if *record == a.on => format!("{}.{record}", kind.container()),
                Some((kind, record)) => format!("{}.{record}.{}", kind.container(), a.on),
                None => a.on.to_string(),
            };
            out.push(super::AttachmentLine {
                id: *id,
                record,
                here: local::has_blob(self.store.conn(), &a.hash)?,
                attachment: a.clone(),
            });
        }
        out.sort_by_key(|l| (l.attachment.at, l.id));
        Ok(out)
    }

    /// Midnight of today, local time, in ms.
    fn start_of_today_ms(&self) -> i64 {
        let now = (self.now)().with_timezone(&chrono::Local);
        chrono::Local
            .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
            .earliest()
            .map_or(now.timestamp_millis() - 86_400_000, |d| {
                d.timestamp_millis()
            })
    }

    /// Saves a case with the attachment bytes it now references.
    fn save_case(
        &mut self,
        doc: &mut CaseDoc,
        new: bool,
        read: Option<brug_shared::model::Case>,
        blobs: &[(&BlobHash, &[u8])],
    ) -> Result<(), DeviceError> {
        let now = self.now_ms();
        self.persist_with(doc, new, read, |tx| {
            for (hash, bytes) in blobs {
                local::put_blob(tx, hash, bytes, now, false)?;
            }
            Ok(())
        })
    }
}

/// What an attachment pass of a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentReport {
    /// Attachments the server now holds that it did not before.
    pub sent: usize,
    /// Bytes sent (chunks), resumed uploads counted from where they were.
    pub bytes_sent: u64,
    /// Thumbnails fetched.
    pub thumbs_fetched: usize,
    /// Attachments still waiting (their case has not reached the server,
    /// or the budget of this pass was spent).
    pub waiting: usize,
    /// Attachments let go (no case here references them any more).
    pub removed: usize,
}

impl Device {
    /// A line to the server's attachment routes.
    pub fn blob_line(&self) -> Result<crate::net::blobs::BlobLine, DeviceError> {
        Ok(crate::net::blobs::BlobLine::new(
            self.endpoint()?,
            super::setting(&self.store, "token")?,
        ))
    }

    /// The attachment pass of a sync: sends what the server lacks (in
    /// chunks, resuming an upload the server kept part of), fetches the
    /// thumbnails of the cases held here, and lets go of bytes no case here
    /// needs. `budget`: the most bytes to send in this pass (a metered
    /// connection), `None` for all.
    pub async fn sync_attachments(
        &mut self,
        budget: Option<u64>,
    ) -> Result<AttachmentReport, DeviceError> {
        self.guard()?;
        let mut line = self.blob_line()?;
        let limits = self.attachment_limits();
        let mut report = AttachmentReport::default();
        let chunk = usize::try_from(limits.chunk_bytes)
            .unwrap_or(256 * 1024)
            .clamp(1024, brug_shared::protocol::blobs::MAX_CHUNK_BYTES);
        let unsent = local::unsent_blobs(self.store.conn())?;
        let mut left = budget.unwrap_or(u64::MAX);
        for batch in unsent.chunks(brug_shared::protocol::blobs::MAX_STATUS_HASHES) {
            let status = line.status(batch.to_vec()).await?;
            for hash in &status.have {
                local::mark_blob_sent(self.store.conn(), hash)?;
            }
            report.waiting += status.unknown.len();
            let mut to_send: Vec<(BlobHash, u64)> =
                status.missing.into_iter().map(|h| (h, 0)).collect();
            to_send.extend(status.partial);
            for (hash, from) in to_send {
                let Some(bytes) = local::blob(self.store.conn(), &hash)? else {
                    continue;
                };
                let (sent, complete) = self
                    .upload(&mut line, &hash, &bytes, from, chunk, &mut left)
                    .await?;
                report.bytes_sent += sent;
                if complete {
                    report.sent += 1;
                    local::mark_blob_sent(self.store.conn(), &hash)?;
                } else {
                    report.waiting += 1;
                }
            }
        }
        report.thumbs_fetched = self.fetch_thumbs(&mut line).await?;
        report.removed = self.let_go(&limits)?;
        Ok(report)
    }

    /// Sends `bytes` from `from` in chunks while `left` lasts; returns the
    /// bytes sent and whether the server now holds the whole.
    async fn upload(
        &mut self,
        line: &mut crate::net::blobs::BlobLine,
        hash: &BlobHash,
        bytes: &[u8],
        from: u64,
        chunk: usize,
        left: &mut u64,
    ) -> Result<(u64, bool), DeviceError> {
        use crate::net::blobs::ChunkAnswer;
        let total = bytes.len() as u64;
        let mut at = from;
        let mut sent = 0;
        let mut restarts = 0;
        // Bounded: every round sends a chunk or moves to where the server
        // stands; a server that keeps contradicting itself ends it.
        for _ in 0..(bytes.len() / chunk + 16) * 2 {
            if *left == 0 {
                return Ok((sent, false));
            }
            let start = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
            let take = chunk
                .min(bytes.len() - start)
                .min(usize::try_from(*left).unwrap_or(usize::MAX));
            let part = &bytes[start..start + take];
            let answer = match line.put_chunk(hash, at, total, part).await {
                // Over the server's limit for the case or the day: it
                // waits (the day's limit passes; the case's needs a person).
                Err(crate::net::NetError::Refused {
                    status: 413,
                    message,
                    ..
                }) => {
                    tracing::warn!(hash = %hash.short(), %message, "attachment held back by the server's limit");
                    return Ok((sent, false));
                }
                other => other?,
            };
            match answer {
                ChunkAnswer::Taken(ack) => {
                    sent += take as u64;
                    *left = left.saturating_sub(take as u64);
                    if ack.complete {
                        return Ok((sent, true));
                    }
                    at = ack.received;
                }
                ChunkAnswer::Resume(received) => at = received,
                ChunkAnswer::Mismatch if restarts == 0 => {
                    restarts += 1;
                    at = 0;
                }
                ChunkAnswer::Mismatch => {
                    return Err(DeviceError::BadInput(format!(
                        "de server aanvaardt bijlage {} niet (hash klopt niet)",
                        hash.short()
                    )));
                }
            }
        }
        Err(DeviceError::BadInput(format!(
            "het versturen van bijlage {} raakte niet af",
            hash.short()
        )))
    }

    /// Downloads a whole attachment into the store (as fetched).
    async fn download(
        &mut self,
        line: &mut crate::net::blobs::BlobLine,
        hash: &BlobHash,
        max: u64,
    ) -> Result<Vec<u8>, DeviceError> {
        let mut bytes = Vec::new();
        let mut total = None;
        while total.is_none_or(|t| (bytes.len() as u64) < t) {
            let (t, part) = line
                .get_range(
                    hash,
                    bytes.len() as u64,
                    brug_shared::protocol::blobs::MAX_CHUNK_BYTES as u64,
                )
                .await?;
            if t > max || part.is_empty() {
                return Err(DeviceError::BadInput(format!(
                    "bijlage {} van de server is ongeldig",
                    hash.short()
                )));
            }
            total = Some(t);
            bytes.extend_from_slice(&part);
        }
        if BlobHash::of(&bytes) != *hash {
            return Err(DeviceError::BadInput(format!(
                "bijlage {} kwam beschadigd aan; probeer opnieuw",
                hash.short()
            )));
        }
        local::put_blob(self.store.conn(), hash, &bytes, self.now_ms(), true)?;
        Ok(bytes)
    }

    /// Fetches the thumbnails of the photos of the cases held here.
    async fn fetch_thumbs(
        &mut self,
        line: &mut crate::net::blobs::BlobLine,
    ) -> Result<usize, DeviceError> {
        let wanted: Vec<BlobHash> = local::referenced_blobs(self.store.conn())?
            .into_iter()
            .filter(|(_, of)| of.is_some())
            .map(|(h, _)| h)
            .collect();
        let mut fetched = 0;
        let max = self.attachment_limits().max_file_bytes;
        for hash in wanted {
            if local::has_blob(self.store.conn(), &hash)? {
                continue;
            }
            match self.download(line, &hash, max).await {
                Ok(_) => fetched += 1,
                // Not on the server yet (its maker has not sent it): next time.
                Err(DeviceError::Net(crate::net::NetError::Refused { status: 404, .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(fetched)
    }

    /// An attachment's bytes (or its thumbnail's, for a photo), fetched from
    /// the server when this device does not hold them, for a hash a case
    /// held here references.
    pub async fn attachment_bytes(
        &mut self,
        hash: &BlobHash,
        thumb: bool,
    ) -> Result<Vec<u8>, DeviceError> {
        let hash = if thumb {
            self.thumb_of(hash)?
        } else {
            hash.clone()
        };
        if let Held::Here(bytes) = self.attachment_here(&hash)? {
            return Ok(bytes);
        }
        let mut line = self.blob_line()?;
        let limits = self.attachment_limits();
        let bytes = self
            .download(&mut line, &hash, limits.max_file_bytes)
            .await?;
        self.let_go(&limits)?;
        Ok(bytes)
    }

    /// The thumbnail of the photo `hash` (itself if it is a thumbnail).
    fn thumb_of(&self, hash: &BlobHash) -> Result<BlobHash, DeviceError> {
        let conn = self.store.conn();
        match local::referenced_blobs(conn)?.get(hash) {
            Some(Some(_)) => Ok(hash.clone()),
            Some(None) => local::thumb_of(conn, hash)?
                .ok_or_else(|| DeviceError::NoSuchAttachment(format!("{hash} (geen foto)"))),
            None => Err(DeviceError::NoSuchAttachment(hash.to_string())),
        }
    }

    /// Lets go of bytes no case here references (once the server has them,
    /// or after the grace period), and of the full images fetched longest
    /// ago beyond the budget. Returns how many went.
    fn let_go(&self, limits: &AttachmentLimits) -> Result<usize, DeviceError> {
        let conn = self.store.conn();
        let referenced = local::referenced_blobs(conn)?;
        let grace_ms = i64::from(limits.grace_days) * 86_400_000;
        let now = self.now_ms();
        let mut removed = 0;
        let mut fetched_full = Vec::new();
        let held = local::blob_list(conn)?;
        for local::HeldBlob {
            hash,
            size,
            fetched,
            sent,
            used_at,
            order,
        } in held
        {
            let Some(of) = referenced.get(&hash) else {
                if fetched || sent || now - used_at > grace_ms {
                    local::remove_blob(conn, &hash)?;
                    removed += 1;
                }
                continue;
            };
            if fetched && of.is_none() {
                fetched_full.push(((used_at, order), hash, size));
            }
        }
        // The most recently shown (then the most recently stored) stay
        // within the budget.
        fetched_full.sort_by_key(|b| std::cmp::Reverse(b.0));
        let mut kept = 0u64;
        for (_, hash, size) in fetched_full {
            kept += size;
            if kept > limits.device_cache_bytes {
                local::remove_blob(conn, &hash)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
