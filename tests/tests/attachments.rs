//! Photos and PDFs on records, end to end: re-encoded on the device
//! without their metadata, encrypted at rest, sent once in resumable
//! chunks, visible exactly when a case that references them is.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::DeviceError;
use brug_device::device::Held;
use brug_device::net::blobs::ChunkAnswer;
use brug_shared::model::{BlobHash, RecordKind, examples};
use brug_sync_server::auth::Role;
use brug_tests::{Stack, Team, TestDevice};
use image::{GenericImageView, ImageEncoder, Rgb, RgbImage};
use uuid::Uuid;

const SERIAL: &str = "SN-4711-BRUGCAM";
const OWNER: &str = "Jan Janssens";

/// A TIFF IFD entry: tag, type, count and its value bytes (inline when
/// they fit in four bytes, else written after the IFDs).
struct Entry(u16, u16, u32, Vec<u8>);

/// Little-endian TIFF with IFD0 (make, owner, orientation, pointers), an
/// Exif IFD (body serial number) and a GPS IFD (a position in Harelbeke).
fn exif(orientation: u16) -> Vec<u8> {
    let ascii = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        Entry(0, 2, b.len() as u32, b)
    };
    let rational = |parts: &[(u32, u32)]| {
        let mut b = Vec::new();
        for (n, d) in parts {
            b.extend_from_slice(&n.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
        }
        Entry(0, 5, parts.len() as u32, b)
    };
    let with_tag = |tag: u16, e: Entry| Entry(tag, e.1, e.2, e.3);
    // Offsets are from the TIFF header; IFD0 at 8.
    let ifd_len = |n: usize| 2 + n * 12 + 4;
    let ifd0_n = 5;
    let exif_at = 8 + ifd_len(ifd0_n);
    let gps_at = exif_at + ifd_len(1);
    let mut data_at = gps_at + ifd_len(2);
    let ifd0 = vec![
        with_tag(0x010F, ascii("BrugCam")),
        with_tag(0x0112, Entry(0, 3, 1, orientation.to_le_bytes().to_vec())),
        with_tag(0x013B, ascii(OWNER)),
        with_tag(
            0x8769,
            Entry(0, 4, 1, (exif_at as u32).to_le_bytes().to_vec()),
        ),
        with_tag(
            0x8825,
            Entry(0, 4, 1, (gps_at as u32).to_le_bytes().to_vec()),
        ),
    ];
    let exif_ifd = vec![with_tag(0xA431, ascii(SERIAL))];
    let gps_ifd = vec![
        with_tag(0x0001, ascii("N")),
        with_tag(0x0002, rational(&[(50, 1), (51, 1), (1234, 100)])),
    ];
    let mut out = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let mut tail = Vec::new();
    for ifd in [ifd0, exif_ifd, gps_ifd] {
        out.extend_from_slice(&(ifd.len() as u16).to_le_bytes());
        for Entry(tag, ty, count, value) in ifd {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if value.len() <= 4 {
                let mut v = value.clone();
                v.resize(4, 0);
                out.extend_from_slice(&v);
            } else {
                out.extend_from_slice(&((data_at + tail.len()) as u32).to_le_bytes());
                tail.extend_from_slice(&value);
                if tail.len() % 2 == 1 {
                    tail.push(0);
                }
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    data_at = out.len();
    assert_eq!(data_at, gps_at + ifd_len(2), "the layout computed above");
    out.extend_from_slice(&tail);
    out
}

/// A 3,000 × 2,000 JPEG as a phone camera writes it: sideways (EXIF
/// orientation 6, "rotate 90° clockwise to show"), with the camera's
/// serial number, its owner and the GPS position in an APP1 segment. The
/// stored top-left corner is red.
fn camera_jpeg() -> Vec<u8> {
    let mut img = RgbImage::from_fn(3000, 2000, |x, y| {
        Rgb([
            (x / 12 % 200) as u8 + 30,
            (y / 8 % 200) as u8 + 30,
            ((x + y) / 20 % 200) as u8,
        ])
    });
    for y in 0..300 {
        for x in 0..300 {
            img.put_pixel(x, y, Rgb([250, 10, 10]));
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(img.as_raw(), 3000, 2000, image::ExtendedColorType::Rgb8)
        .unwrap();
    let payload = [b"Exif\0\0".as_slice(), &exif(6)].concat();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    app1.extend_from_slice(&payload);
    [&jpeg[..2], &app1, &jpeg[2..]].concat()
}

/// A renovation advice with a category II defect; returns the case, the
/// advice and the defect.
fn case_with_defect(d: &mut TestDevice) -> (Uuid, Uuid, Uuid) {
    let (case, _) = d.device.create_case(&examples::household()).unwrap();
    let mut json = examples::example(RecordKind::Renovation).to_json();
    let defects = json["defects"].as_object_mut().unwrap();
    for defect in defects.values_mut() {
        defect["category"] = "II".into();
    }
    let (advice, _) = d
        .device
        .add_record(case, RecordKind::Renovation, json)
        .unwrap();
    let defect = *d.device.case(case).unwrap().renovations[&advice]
        .defects
        .keys()
        .next()
        .unwrap();
    (case, advice, defect)
}

async fn sync(d: &mut TestDevice) -> brug_device::sync::Report {
    d.device.sync(&mut |_| {}).await.unwrap()
}

fn here(d: &TestDevice, hash: &BlobHash) -> Vec<u8> {
    match d.device.attachment_here(hash).unwrap() {
        Held::Here(bytes) => bytes,
        Held::Elsewhere => panic!("{hash} is not on this device"),
    }
}

/// Every file under `dir`, read whole.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The codes of what the rules say about the renovation advice `advice`,
/// as the case screen shows them.
fn findings(d: &TestDevice, case: Uuid, advice: Uuid) -> Vec<String> {
    let case = d.device.case(case).unwrap();
    let record = case.record(RecordKind::Renovation, advice).unwrap();
    let ctx = brug_shared::rules::RuleContext::at(chrono::Utc::now().naive_utc());
    brug_shared::rules::check_record(&case, advice, &record, None, &ctx)
        .into_iter()
        .map(|f| format!("{} {}", f.code, f.field))
        .collect()
}

/// Every attachment the server holds whole: (hash, bytes), by hash.
fn server_blobs(stack: &Stack) -> Vec<(String, Vec<u8>)> {
    const SQL: &str = "SELECT hash, bytes FROM blobs ORDER BY hash";
    match &stack.postgres {
        Some((pg, _)) => std::thread::scope(|s| {
            s.spawn(|| {
                pg.conn()
                    .unwrap()
                    .query(SQL, &[])
                    .unwrap()
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect()
            })
            .join()
            .unwrap()
        }),
        None => {
            let db = stack.db();
            let conn = db.lock();
            let mut stmt = conn.prepare(SQL).unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
    }
}

brug_tests::on_both_stacks!(
    a_photo_is_stored_and_synced_without_its_metadata_upright_and_at_2048_px
);

async fn a_photo_is_stored_and_synced_without_its_metadata_upright_and_at_2048_px(stack: Stack) {
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _, defect) = case_with_defect(&mut worker);
    let original = camera_jpeg();
    // What goes in carries the GPS position, the serial and the owner.
    let exif_in = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&original))
        .expect("the camera's file has EXIF");
    assert!(
        exif_in
            .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some()
    );
    assert!(
        exif_in
            .get_field(exif::Tag::BodySerialNumber, exif::In::PRIMARY)
            .is_some()
    );
    assert!(contains(&original, SERIAL.as_bytes()));

    let file = worker.home.path().join("IMG_0001.jpg");
    std::fs::write(&file, &original).unwrap();
    let attached = worker
        .device
        .attach_file(case, &defect.to_string(), &file, "vochtige muur slaapkamer")
        .unwrap();
    std::fs::remove_file(&file).unwrap();

    let stored = here(&worker, &attached.hash);
    assert_eq!(BlobHash::of(&stored), attached.hash);
    for (what, bytes) in [("stored", &stored)] {
        let read = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes));
        assert!(read.is_err(), "the {what} photo has no EXIF at all");
        for secret in [SERIAL, OWNER, "BrugCam"] {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{secret} left in the {what} photo"
            );
        }
    }
    let photo = image::load_from_memory(&stored).unwrap();
    assert_eq!(
        (photo.width(), photo.height()),
        (1365, 2048),
        "turned upright, long side 2,048"
    );
    assert_eq!(attached.attachment.width, Some(1365));
    assert_eq!(attached.attachment.height, Some(2048));
    // Orientation 6: the stored top-left corner shows at the top right.
    let Rgb([r, g, b]) = photo.to_rgb8().get_pixel(photo.width() - 20, 20).to_owned();
    assert!(
        r > 200 && g < 60 && b < 60,
        "red corner at the top right, got {r},{g},{b}"
    );
    let thumb =
        image::load_from_memory(&here(&worker, attached.attachment.thumb.as_ref().unwrap()))
            .unwrap();
    assert_eq!(thumb.dimensions().1, 320);

    // The finding for the category II defect is gone with the photo.
    let shown = worker.device.show(case).unwrap();
    assert_eq!(shown.case.attachments_on(defect).len(), 1);

    // Synced: the server and the supervisor's device hold the same bytes.
    let report = sync(&mut worker).await;
    assert_eq!(report.attachments.sent, 2, "the photo and its thumbnail");
    let on_server = server_blobs(&stack);
    assert_eq!(on_server.len(), 2);
    assert!(on_server.iter().any(|(_, b)| *b == stored));
    for (_, bytes) in &on_server {
        assert!(!contains(bytes, SERIAL.as_bytes()));
    }
    let report = sync(&mut supervisor).await;
    assert_eq!(
        report.attachments.thumbs_fetched, 1,
        "thumbnails come with the sync"
    );
    assert_eq!(
        supervisor.device.attachment_here(&attached.hash).unwrap(),
        Held::Elsewhere,
        "the full photo waits until it is opened"
    );
    let fetched = supervisor
        .device
        .attachment_bytes(&attached.hash, false)
        .await
        .unwrap();
    assert_eq!(fetched, stored);
    assert_eq!(
        here(&supervisor, &attached.hash),
        stored,
        "kept for offline use"
    );

    // No plaintext photo bytes anywhere in either device's folder: neither
    // the original's nor what was stored nor the thumbnail.
    let thumb_bytes = here(&worker, attached.attachment.thumb.as_ref().unwrap());
    let runs = [
        &original[original.len() / 2..original.len() / 2 + 48],
        &stored[stored.len() / 2..stored.len() / 2 + 48],
        &thumb_bytes[thumb_bytes.len() / 2..thumb_bytes.len() / 2 + 48],
    ];
    for d in [&worker, &supervisor] {
        for (path, bytes) in files(d.home.path()) {
            for run in runs {
                assert!(
                    !contains(&bytes, run),
                    "plaintext photo bytes in {}",
                    path.display()
                );
            }
        }
    }
}

brug_tests::on_both_stacks!(
    the_same_photo_attached_on_two_devices_offline_is_one_copy_with_two_references
);

async fn the_same_photo_attached_on_two_devices_offline_is_one_copy_with_two_references(
    stack: Stack,
) {
    let Team {
        bert,
        mut worker,
        mut adviser,
        ..
    } = stack.team().await;
    let (case, _, defect) = case_with_defect(&mut worker);
    sync(&mut worker).await;
    stack.assign(case, &bert);
    sync(&mut adviser).await;

    let photo = camera_jpeg();
    let a = worker
        .device
        .attach(case, &defect.to_string(), &photo, "")
        .unwrap();
    let b = adviser
        .device
        .attach(case, &defect.to_string(), &photo, "zelfde foto")
        .unwrap();
    assert_eq!(a.hash, b.hash, "the same photo makes the same bytes");
    assert_ne!(a.id, b.id);

    let first = sync(&mut worker).await;
    assert_eq!(first.attachments.sent, 2);
    let second = sync(&mut adviser).await;
    assert_eq!(
        second.attachments.sent, 0,
        "the server had it: nothing sent twice"
    );
    assert_eq!(second.attachments.bytes_sent, 0);
    sync(&mut worker).await;
    assert_eq!(
        server_blobs(&stack).len(),
        2,
        "one photo and one thumbnail on the server"
    );
    for d in [&worker, &adviser] {
        let refs = d.device.case(case).unwrap().attachments;
        assert_eq!(refs.len(), 2, "both references in the case");
        assert!(refs.values().all(|r| r.hash == a.hash));
    }
}

/// A PDF of about 1.5 MB (kept as it is), with bytes that do not repeat.
fn big_pdf() -> Vec<u8> {
    pdf_of(2_463_534_242)
}

/// A PDF of about 1.5 MB, different for every seed.
fn pdf_of(seed: u32) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut x: u32 = seed;
    while pdf.len() < 1_500_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pdf.extend_from_slice(&x.to_le_bytes());
    }
    pdf.extend_from_slice(b"\n%%EOF\n");
    pdf
}

brug_tests::on_both_stacks!(an_upload_cut_at_60_percent_resumes_and_a_bad_chunk_stores_nothing);

async fn an_upload_cut_at_60_percent_resumes_and_a_bad_chunk_stores_nothing(stack: Stack) {
    let Team { mut worker, .. } = stack.team().await;
    let (case, advice, _) = case_with_defect(&mut worker);
    let pdf = big_pdf();
    let total = pdf.len() as u64;
    let attached = worker
        .device
        .attach(case, &advice.to_string(), &pdf, "energiefactuur")
        .unwrap();
    assert_eq!(here(&worker, &attached.hash), pdf, "a PDF is kept as it is");
    // The case reaches the server; the upload is cut at 60 %.
    let cut = total * 6 / 10;
    let report = sync_with_budget(&mut worker, cut).await.attachments;
    assert_eq!(report.sent, 0);
    assert_eq!(report.waiting, 1);
    assert_eq!(report.bytes_sent, cut);
    let mut line = worker.device.blob_line().unwrap();
    let status = line.status(vec![attached.hash.clone()]).await.unwrap();
    assert_eq!(
        status.partial.get(&attached.hash),
        Some(&cut),
        "the server kept 60 %"
    );

    // A chunk whose bytes do not match its hash: refused, nothing kept.
    let next = &pdf[cut as usize..cut as usize + 1000];
    let refused = line
        .put_chunk_claiming(
            &attached.hash,
            cut,
            total,
            next,
            &BlobHash::of(b"something else"),
        )
        .await;
    assert!(
        matches!(&refused, Err(brug_device::net::NetError::Refused { status: 400, code, .. }) if code == "bad-chunk"),
        "{refused:?}"
    );
    // A chunk at the wrong place: the server says where it stands.
    let wrong = line
        .put_chunk(&attached.hash, 0, total, &pdf[..1000])
        .await
        .unwrap();
    assert_eq!(wrong, ChunkAnswer::Resume(cut));
    let status = line.status(vec![attached.hash.clone()]).await.unwrap();
    assert_eq!(
        status.partial.get(&attached.hash),
        Some(&cut),
        "nothing more was kept"
    );

    // The next sync resumes: it sends the 40 % left, not the whole.
    let report = worker.device.sync_attachments(None).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(report.bytes_sent, total - cut);
    let stored: Vec<_> = server_blobs(&stack).into_iter().map(|(_, b)| b).collect();
    assert_eq!(stored, vec![pdf.clone()]);

    // Bytes that do not hash to the name they are sent under: the last
    // chunk is refused as a whole, nothing stored, nothing kept.
    let forged = vec![b'%'; 5000];
    let (other_case, other_advice, _) = case_with_defect(&mut worker);
    let real = worker
        .device
        .attach(
            other_case,
            &other_advice.to_string(),
            &[b"%PDF-1.4\n".as_slice(), &[7; 4000]].concat(),
            "",
        )
        .unwrap();
    sync_with_budget(&mut worker, 0).await;
    let answer = line
        .put_chunk(&real.hash, 0, forged.len() as u64, &forged)
        .await
        .unwrap();
    assert_eq!(answer, ChunkAnswer::Mismatch);
    let status = line.status(vec![real.hash.clone()]).await.unwrap();
    assert_eq!(
        status.missing,
        vec![real.hash.clone()],
        "nothing kept of the forged bytes"
    );
    assert_eq!(server_blobs(&stack).len(), 1);
}

/// A sync whose attachment pass may send at most `budget` bytes (a
/// metered connection), as the device's settings say.
async fn sync_with_budget(d: &mut TestDevice, budget: u64) -> brug_device::sync::Report {
    let limits = d.device.attachment_limits();
    let mut metered = limits.clone();
    metered.sync_budget_bytes = Some(budget);
    d.device.set_attachment_limits(&metered).unwrap();
    let report = d.device.sync(&mut |_| {}).await.unwrap();
    d.device.set_attachment_limits(&limits).unwrap();
    report
}

brug_tests::on_both_stacks!(a_foreign_a_made_up_and_an_unsent_hash_get_the_same_answer);

async fn a_foreign_a_made_up_and_an_unsent_hash_get_the_same_answer(stack: Stack) {
    let Team {
        mut worker,
        mut adviser,
        ..
    } = stack.team().await;
    // Another team's case with a photo, on the server.
    let kortrijk = stack.user_in("Karel Kortrijk", Role::BridgeWorker, "kortrijk");
    let mut other = stack.enrol(&kortrijk).await;
    let (other_case, _, other_defect) = case_with_defect(&mut other);
    let foreign = other
        .device
        .attach(other_case, &other_defect.to_string(), &camera_jpeg(), "")
        .unwrap();
    sync(&mut other).await;
    // A case of the worker's own team, not assigned to the adviser.
    let (case, _, defect) = case_with_defect(&mut worker);
    let own = worker
        .device
        .attach(case, &defect.to_string(), &big_pdf(), "")
        .unwrap();
    sync(&mut worker).await;
    assert_eq!(server_blobs(&stack).len(), 3);

    let made_up = BlobHash::of(b"made up");
    let mut line = adviser.device.blob_line().unwrap();
    let mut answers = Vec::new();
    for hash in [&foreign.hash, &own.hash, &made_up] {
        let got = line.get_range(hash, 0, 100).await;
        answers.push(format!("{got:?}"));
        let put = line.put_chunk(hash, 0, 4, b"%PDF").await;
        answers.push(format!("{put:?}"));
    }
    assert!(answers[0].contains("no-such-attachment"), "{}", answers[0]);
    assert!(
        answers.iter().step_by(2).all(|a| *a == answers[0]),
        "{answers:#?}"
    );
    assert!(
        answers.iter().skip(1).step_by(2).all(|a| *a == answers[1]),
        "{answers:#?}"
    );
    let status = line
        .status(vec![
            foreign.hash.clone(),
            own.hash.clone(),
            made_up.clone(),
        ])
        .await
        .unwrap();
    assert_eq!(status.unknown.len(), 3);
    assert!(status.have.is_empty());
    // On the device: a hash no case here references is not there.
    sync(&mut adviser).await;
    for hash in [&foreign.hash, &own.hash, &made_up] {
        let e = adviser
            .device
            .attachment_bytes(hash, false)
            .await
            .unwrap_err();
        assert!(matches!(e, DeviceError::NoSuchAttachment(_)), "{e:?}");
    }
    // Nothing of the foreign bytes changed hands.
    assert_eq!(server_blobs(&stack).len(), 3);
}

brug_tests::on_both_stacks!(a_decompression_bomb_an_oversize_file_and_an_unknown_type_are_refused);

async fn a_decompression_bomb_an_oversize_file_and_an_unknown_type_are_refused(stack: Stack) {
    let Team { mut worker, .. } = stack.team().await;
    let (case, _, defect) = case_with_defect(&mut worker);
    let on = defect.to_string();
    let before = worker.device.case(case).unwrap();

    // A PNG that claims 50,000 × 50,000 pixels (2.5 billion, 10 GB as RGBA)
    // in a file of a few hundred bytes: refused from its header.
    let mut bomb = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bomb, 50_000, 50_000);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        // One tiny IDAT (an empty zlib stream): the file looks whole.
        writer
            .write_chunk(
                png::chunk::IDAT,
                &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1],
            )
            .unwrap();
        writer.finish().unwrap();
    }
    assert!(bomb.len() < 1024);
    let e = worker.device.attach(case, &on, &bomb, "").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("50000 × 50000 pixels"), "{text}");

    let oversize = [b"%PDF-1.7\n".as_slice(), &vec![b' '; 16 * 1024 * 1024]].concat();
    let file = worker.home.path().join("groot.pdf");
    std::fs::write(&file, &oversize).unwrap();
    let e = worker.device.attach_file(case, &on, &file, "").unwrap_err();
    assert!(e.to_string().contains("maximum is 15728640 bytes"), "{e}");
    let e = worker.device.attach(case, &on, &oversize, "").unwrap_err();
    assert!(e.to_string().contains("maximum is 15728640 bytes"), "{e}");

    let e = worker
        .device
        .attach(case, &on, b"GIF89a....", "")
        .unwrap_err();
    assert!(e.to_string().contains("alleen foto's"), "{e}");
    let e = worker
        .device
        .attach(case, &Uuid::now_v7().to_string(), &camera_jpeg(), "")
        .unwrap_err();
    assert!(matches!(e, DeviceError::NoSuchRecord(_)), "{e:?}");

    // Nothing changed.
    assert_eq!(worker.device.case(case).unwrap(), before);
    let report = sync(&mut worker).await;
    assert_eq!(report.attachments.sent, 0);
    assert!(server_blobs(&stack).is_empty());
}

brug_tests::on_both_stacks!(
    a_category_ii_defect_asks_for_a_photo_until_it_has_one_and_removing_it_asks_again
);

async fn a_category_ii_defect_asks_for_a_photo_until_it_has_one_and_removing_it_asks_again(
    stack: Stack,
) {
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, advice, defect) = case_with_defect(&mut worker);
    let missing = |d: &TestDevice| {
        findings(d, case, advice).contains(&format!("defect.photo-missing defects.{defect}"))
    };
    assert!(missing(&worker), "{:#?}", findings(&worker, case, advice));
    let attached = worker
        .device
        .attach(case, &defect.to_string(), &camera_jpeg(), "")
        .unwrap();
    assert!(!missing(&worker));
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    assert!(!missing(&supervisor));

    // Removed: the reference goes, history keeps who removed it.
    worker.device.remove_attachment(case, attached.id).unwrap();
    assert!(missing(&worker));
    assert!(worker.device.case(case).unwrap().attachments.is_empty());
    let history = worker.device.history(case, None).unwrap();
    let removed = history
        .iter()
        .find(|h| h.note.message == "attachment removed")
        .expect("history keeps the removal");
    assert_eq!(
        removed.author.as_deref(),
        Some(worker.device.info().user.as_str())
    );
}

brug_tests::on_both_stacks!(
    an_attachment_no_case_references_goes_after_the_grace_period_on_both_sides
);

async fn an_attachment_no_case_references_goes_after_the_grace_period_on_both_sides(stack: Stack) {
    let Team { mut worker, .. } = stack.team().await;
    let (case, _, defect) = case_with_defect(&mut worker);
    let kept = worker
        .device
        .attach(case, &defect.to_string(), &camera_jpeg(), "blijft")
        .unwrap();
    let gone = worker
        .device
        .attach(case, &defect.to_string(), &big_pdf(), "gaat weg")
        .unwrap();
    sync(&mut worker).await;
    assert_eq!(server_blobs(&stack).len(), 3);
    worker.device.remove_attachment(case, gone.id).unwrap();
    let report = sync(&mut worker).await;
    // The device lets go at once: the server has it and no case here
    // needs it.
    assert_eq!(report.attachments.removed, 1);
    assert!(matches!(
        worker.device.attachment_here(&gone.hash),
        Err(DeviceError::NoSuchAttachment(_))
    ));
    // The server keeps it for the grace period (30 days), then not.
    let day = 86_400_000;
    let grace = 30 * day;
    let now = chrono::Utc::now().timestamp_millis();
    let collect = |at: i64| stack.on_store(|s| s.collect_orphans(at, grace).unwrap());
    assert_eq!(collect(now + 29 * day), 0);
    assert_eq!(server_blobs(&stack).len(), 3);
    assert_eq!(collect(now + 31 * day), 1);
    let left: Vec<String> = server_blobs(&stack).into_iter().map(|(h, _)| h).collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&kept.hash.to_string()));
    assert!(!left.contains(&gone.hash.to_string()));
}

#[tokio::test]
async fn the_server_holds_uploads_to_the_cases_and_the_devices_days_limits() {
    let data = tempfile::tempdir().unwrap();
    let mut config = brug_sync_server::Config::new(data.path());
    config.attachments.max_case_bytes = 2_000_000;
    config.attachments.max_device_day_bytes = 3_500_000;
    let server = brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let stack = Stack {
        server,
        data,
        postgres: None,
    };
    let Team { mut worker, .. } = stack.team().await;
    // The device's own limits are the defaults (far above): what a
    // modified app would do; the server holds.
    let (a, _, on_a) = case_with_defect(&mut worker);
    let (b, _, on_b) = case_with_defect(&mut worker);
    let (c, _, on_c) = case_with_defect(&mut worker);
    let first = worker
        .device
        .attach(a, &on_a.to_string(), &pdf_of(1), "")
        .unwrap();
    let second = worker
        .device
        .attach(a, &on_a.to_string(), &pdf_of(2), "")
        .unwrap();
    let third = worker
        .device
        .attach(b, &on_b.to_string(), &pdf_of(3), "")
        .unwrap();
    let fourth = worker
        .device
        .attach(c, &on_c.to_string(), &pdf_of(4), "")
        .unwrap();
    let report = sync(&mut worker).await;
    assert_eq!(report.attachments.sent, 2, "{:?}", report.attachments);
    assert_eq!(report.attachments.waiting, 2);
    let stored: Vec<String> = server_blobs(&stack).into_iter().map(|(h, _)| h).collect();
    assert!(stored.contains(&first.hash.to_string()) && stored.contains(&third.hash.to_string()));
    let mut line = worker.device.blob_line().unwrap();
    let (two, four) = (pdf_of(2), pdf_of(4));
    let case_full = line
        .put_chunk(&second.hash, 0, two.len() as u64, &two[..1000])
        .await
        .unwrap_err();
    let text = format!("{case_full:?}");
    assert!(
        text.contains("over-quota") && text.contains("dossier"),
        "{text}"
    );
    let day_full = line
        .put_chunk(&fourth.hash, 0, four.len() as u64, &four[..1000])
        .await
        .unwrap_err();
    let text = format!("{day_full:?}");
    assert!(
        text.contains("over-quota") && text.contains("vandaag"),
        "{text}"
    );
    assert_eq!(server_blobs(&stack).len(), 2, "nothing of either was kept");
}

brug_tests::on_both_stacks!(
    full_images_opened_here_stay_within_the_devices_budget_the_last_opened_kept
);

async fn full_images_opened_here_stay_within_the_devices_budget_the_last_opened_kept(stack: Stack) {
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _, defect) = case_with_defect(&mut worker);
    let first = worker
        .device
        .attach(case, &defect.to_string(), &pdf_of(11), "")
        .unwrap();
    let second = worker
        .device
        .attach(case, &defect.to_string(), &pdf_of(12), "")
        .unwrap();
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    // Room for one 1.5 MB document kept for offline use.
    let mut limits = supervisor.device.attachment_limits();
    limits.device_cache_bytes = 2_000_000;
    supervisor.device.set_attachment_limits(&limits).unwrap();
    supervisor
        .device
        .attachment_bytes(&first.hash, false)
        .await
        .unwrap();
    assert!(matches!(
        supervisor.device.attachment_here(&first.hash).unwrap(),
        Held::Here(_)
    ));
    supervisor
        .device
        .attachment_bytes(&second.hash, false)
        .await
        .unwrap();
    assert_eq!(
        supervisor.device.attachment_here(&first.hash).unwrap(),
        Held::Elsewhere,
        "the one opened first made room"
    );
    assert!(matches!(
        supervisor.device.attachment_here(&second.hash).unwrap(),
        Held::Here(_)
    ));
    // What the worker made on her device is never let go for the budget.
    let mut small = worker.device.attachment_limits();
    small.device_cache_bytes = 0;
    worker.device.set_attachment_limits(&small).unwrap();
    sync(&mut worker).await;
    assert!(matches!(
        worker.device.attachment_here(&first.hash).unwrap(),
        Held::Here(_)
    ));
}
