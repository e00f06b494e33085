//! The catalogue: every text a user reads, in Dutch (nl-BE) and English.
//! Labels of domain values (statuses, record kinds, flags) come from
//! `brug_device::shared::model`'s labelled enums; this file holds the rest.

use brug_device::shared::model::CaseFlag;
pub use brug_device::shared::model::Lang;

/// A text of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Title of the case list.
    Cases,
    /// Placeholder and label of the search field.
    SearchLabel,
    /// Shown when no case matches.
    NoCases,
    /// Column: next appointment.
    NextAppointment,
    /// Sync state: offline.
    Offline,
    /// Sync state: online.
    Online,
    /// Sync state: syncing.
    Syncing,
    /// Changes not yet on the server.
    Pending,
    /// Last successful sync.
    LastSync,
    /// Never synced.
    Never,
    /// The sync-now button.
    SyncNow,
    /// Title of the lock screen.
    Locked,
    /// Label of the PIN field.
    Pin,
    /// The unlock button.
    Unlock,
    /// A wrong PIN.
    WrongPin,
    /// Too many wrong PINs.
    WaitPin,
    /// Locked after too many wrong PINs.
    LockedOut,
    /// The unlock code field.
    UnlockCode,
    /// The button that opens with the code.
    UnlockWithCode,
    /// The offline lease ran out.
    LeaseExpired,
    /// The device was revoked.
    Revoked,
    /// Title prefix of a form.
    FormTitle,
    /// A draft was restored.
    DraftRestored,
    /// Throw the draft away.
    DiscardDraft,
    /// The housing verdict.
    Verdict,
    /// The record does not read yet.
    Incomplete,
    /// Remove an item.
    Remove,
    /// Save button.
    Save,
    /// Back button.
    Back,
    /// Why save is disabled.
    SaveBlocked,
    /// A required field is empty.
    Required,
    /// Assign intro.
    AssignIntro,
    /// Window title of a case's screens.
    CaseTitle,
    /// Open actions of a case.
    OpenActions,
    /// The case screen's first section: what needs doing now.
    MattersNow,
    /// The tabs' name for screen readers.
    Menu,
    /// Nothing waits in a case.
    NothingWaits,
    /// The last visit of a case.
    LastVisit,
    /// Before a deadline ("due 5/12").
    DueBy,
    /// A deadline gone by.
    LateSince,
    /// The household's data (statuses, members, consents), one tap away.
    HouseholdData,
    /// Placeholder of a date field.
    DateHint,
    /// Placeholder of a date-time field.
    DateTimeHint,
    /// Before the next session of a referral's service.
    NextSession,
    /// Takes a proposed value into the field.
    TakeIt,
    /// A date does not read.
    NotADate,
    /// A date and time do not read.
    NotADateTime,
    /// Waiting for the server.
    Busy,
    /// Enrolment code valid until.
    ValidUntil,
    /// The team screen's tab.
    TeamTab,
    /// Save waits for the required fields.
    FillRequired,
    /// A number does not read.
    NotANumber,
    /// Severity error.
    Error,
    /// Severity warning.
    Warning,
    /// Severity flag.
    FlagWord,
    /// After a save.
    Saved,
    /// While a screen's data is read.
    Loading,
    /// Enrolment title.
    EnrolTitle,
    /// Enrolment intro.
    EnrolIntro,
    /// Enrolment URL label.
    EnrolUrl,
    /// QR image path label.
    QrImage,
    /// Read QR button.
    ReadQr,
    /// Device name label.
    DeviceName,
    /// New PIN label.
    NewPin,
    /// Repeat PIN label.
    RepeatPin,
    /// PIN mismatch.
    PinsDiffer,
    /// PIN too short.
    PinTooShort,
    /// Enrol button.
    Enrol,
    /// First sync progress.
    FirstSync,
    /// New case button.
    NewCase,
    /// My cases filter.
    MyCases,
    /// Status filter label.
    StatusLabel,
    /// Household section.
    Household,
    /// Members section.
    Members,
    /// Consents section.
    Consents,
    /// Social statuses section.
    Statuses,
    /// Timeline section.
    Timeline,
    /// Edit button.
    Edit,
    /// Submit button.
    Submit,
    /// Review button.
    ReviewIt,
    /// Flags section.
    Flags,
    /// Conflicts title.
    ConflictsTitle,
    /// Conflicts intro.
    ConflictsIntro,
    /// Keep a conflict value.
    Keep,
    /// Who wrote a value.
    WrittenBy,
    /// Date preposition.
    On,
    /// Review title.
    ReviewTitle,
    /// Changes since approval.
    ChangesSince,
    /// No approval yet.
    NoChangesSince,
    /// Before value.
    Before,
    /// After value.
    After,
    /// Approve button.
    Approve,
    /// Return button.
    ReturnIt,
    /// Return comment label.
    Comment,
    /// Return needs comment.
    CommentNeeded,
    /// Supervisor queue.
    Queue,
    /// Queue intro.
    QueueIntro,
    /// The queue when nothing waits.
    QueueEmpty,
    /// The queue's group of collective activities to review.
    QueueActivities,
    /// What that group is.
    QueueActivitiesWhy,
    /// Settings title.
    Settings,
    /// Language label.
    Language,
    /// Lock timeout label.
    LockAfter,
    /// Lock now button.
    LockNow,
    /// Device info section.
    DeviceTitle,
    /// User label.
    User,
    /// Role label.
    Role,
    /// Team label.
    Team,
    /// Server label.
    Server,
    /// Fingerprint label.
    Fingerprint,
    /// Closes a message (a button that shows only a cross).
    Close,
    /// The flag filter's "no filter" (the filter's name on a chip).
    AllFlags,
    /// The flag filter, for screen readers.
    FilterByFlag,
    /// The status filter, for screen readers.
    FilterByStatus,
    /// "Only my cases", short enough for a chip on a phone.
    MineShort,
    /// The status filter's "no filter" (the filter's name on a chip).
    AnyStatus,
    /// Before the list of filters that narrow the case list.
    ActiveFilters,
    /// What protects the device key, label.
    KeyProtection,
    /// The PIN alone protects the key.
    PinOnly,
    /// The PIN and the named system keystore protect the key.
    PinAnd,
    /// Device id label.
    DeviceId,
    /// Lease label.
    Lease,
    /// Days unit.
    Days,
    /// Empty section.
    NoneYet,
    /// Conflict badge.
    Conflicting,
    /// History button.
    History,
    /// Open.
    Open,
    /// Assign title.
    AssignTitle,
    /// Enrol other title.
    EnrolOther,
    /// Make enrolment code.
    MakeCode,
    /// Enrol QR intro.
    ScanThis,
    /// Review: the record as it stands.
    TheRecord,
    /// Quarantine section title.
    WaitingWork,
    /// Quarantine section intro.
    WaitingIntro,
    /// Nothing in the quarantine.
    NothingWaiting,
    /// Merge a quarantine entry.
    MergeIntoCase,
    /// Discard a quarantine entry.
    Discard,
    /// A quarantine entry merged.
    Merged,
    /// A quarantine entry discarded.
    Discarded,
    /// The catalogue screen's title.
    CatalogueTitle,
    /// Review: the rules' findings on the record.
    RulesSay,
    /// What the catalogue is.
    CatalogueIntro,
    /// Button: add a service.
    AddService,
    /// Field: the service's Dutch name.
    ServiceName,
    /// Field: the service's English name.
    ServiceNameEn,
    /// Field: who runs the service.
    Organisation,
    /// Field: the action of the multi-year plan.
    PlanAction,
    /// Field: SDGs.
    Sdgs,
    /// Field: who receives data.
    DataRecipient,
    /// No recipient.
    OwnService,
    /// A referral needs a consent.
    ConsentNeeded,
    /// No consent needed.
    NoConsentNeeded,
    /// Field: address.
    Address,
    /// The service's sessions.
    Sessions,
    /// No sessions.
    ByAppointment,
    /// Button: add a session.
    AddSession,
    /// Every week.
    Weekly,
    /// The nth weekday of the month.
    MonthlyNth,
    /// Field: which one in the month.
    NthInMonth,
    /// Field: weekday.
    Weekday,
    /// Field: start time.
    TimeFrom,
    /// Field: end time.
    TimeUntil,
    /// Field: where.
    Place,
    /// Field: closing days.
    ClosedDays,
    /// Field: no longer offered.
    Retired,
    /// Badge: no longer offered.
    RetiredBadge,
    /// A time that does not read.
    BadTime,
    /// A date that does not read.
    BadDay,
    /// A worker sees the catalogue.
    ReadOnlyCatalogue,
    /// Title of the report screen.
    ReportTitle,
    /// Tab: the report.
    ReportTab,
    /// What the report holds.
    ReportIntro,
    /// Field: first day of the period.
    PeriodFrom,
    /// Field: last day of the period.
    PeriodTo,
    /// Field: how the figures are broken down.
    BreakdownLabel,
    /// Box: a public report.
    PublicReport,
    /// What a public report hides.
    PublicNote,
    /// Button: fetch the report again.
    Refresh,
    /// Button: the report as Excel.
    DownloadExcel,
    /// A period that does not read.
    BadPeriod,
    /// Where the Excel file went.
    ExcelSavedTo,
    /// No report fetched yet.
    NoReportYet,
    /// Label: the plan's version.
    PlanVersion,
    /// Label: when the report was fetched.
    Fetched,
    /// The last report, shown offline.
    ReportOffline,
    /// Title of the activities screen.
    ActivitiesTitle,
    /// Tab: activities.
    ActivitiesTab,
    /// What the activities screen holds.
    ActivitiesIntro,
    /// Button: a new activity.
    AddActivity,
    /// No activity recorded.
    NoActivities,
    /// Heading of the activity editor.
    ActivityTitle,
    /// Field: the activity's title.
    ActivityName,
    /// Field: group session or information moment.
    ActivityKindLabel,
    /// Field: a day.
    Date,
    /// Field: who organised it.
    Organiser,
    /// Field: where an activity was held.
    Venue,
    /// Field: how many took part.
    Participants,
    /// Households with a case among the participants.
    WithACase,
    /// Field: households with a case that took part.
    HouseholdsTakingPart,
    /// Button: close without saving.
    Cancel,
}

/// The text in a language.
pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (lang, text) {
        (Lang::Nl, Loading) => "Even geduld…",
        (Lang::En, Loading) => "One moment…",
        (Lang::Nl, Cases) => "Dossiers",
        (Lang::En, Cases) => "Cases",
        (Lang::Nl, SearchLabel) => "Zoek op naam, adres of school",
        (Lang::En, SearchLabel) => "Search by name, address or school",
        (Lang::Nl, NoCases) => "Geen dossiers gevonden.",
        (Lang::En, NoCases) => "No cases found.",
        (Lang::Nl, NextAppointment) => "Volgende afspraak",
        (Lang::En, NextAppointment) => "Next appointment",
        (Lang::Nl, Offline) => "Offline",
        (Lang::En, Offline) => "Offline",
        (Lang::Nl, Online) => "Online",
        (Lang::En, Online) => "Online",
        (Lang::Nl, Syncing) => "Synchroniseren",
        (Lang::En, Syncing) => "Syncing",
        (Lang::Nl, Pending) => "nog te versturen",
        (Lang::En, Pending) => "waiting to be sent",
        (Lang::Nl, LastSync) => "Laatst gesynchroniseerd",
        (Lang::En, LastSync) => "Last synced",
        (Lang::Nl, Never) => "nog nooit",
        (Lang::En, Never) => "never",
        (Lang::Nl, SyncNow) => "Nu synchroniseren",
        (Lang::En, SyncNow) => "Sync now",
        (Lang::Nl, Locked) => "Brug is vergrendeld",
        (Lang::En, Locked) => "Brug is locked",
        (Lang::Nl, Pin) => "Pincode",
        (Lang::En, Pin) => "PIN",
        (Lang::Nl, Unlock) => "Ontgrendelen",
        (Lang::En, Unlock) => "Unlock",
        (Lang::Nl, WrongPin) => "Verkeerde pincode. Probeer opnieuw",
        (Lang::En, WrongPin) => "Wrong PIN. Try again",
        (Lang::Nl, WaitPin) => "Te veel verkeerde pincodes. Wacht nog",
        (Lang::En, WaitPin) => "Too many wrong PINs. Wait",
        (Lang::Nl, LockedOut) => {
            "Te veel verkeerde pincodes: dit toestel opent alleen nog met een ontgrendelcode van de beheerder. Kies daarbij een nieuwe pincode. Wat nog niet gesynchroniseerd is, blijft bewaard."
        }
        (Lang::En, LockedOut) => {
            "Too many wrong PINs: this device opens only with an unlock code from the administrator. Choose a new PIN with it. Nothing unsynced is lost."
        }
        (Lang::Nl, UnlockCode) => "Ontgrendelcode",
        (Lang::En, UnlockCode) => "Unlock code",
        (Lang::Nl, UnlockWithCode) => "Ontgrendelen met de code",
        (Lang::En, UnlockWithCode) => "Unlock with the code",
        (Lang::Nl, LeaseExpired) => {
            "Dit toestel werd te lang niet gesynchroniseerd; de dossiers blijven dicht tot u synchroniseert. Dagen zonder synchronisatie"
        }
        (Lang::En, LeaseExpired) => {
            "This device has not synced for too long; cases stay locked until you sync. Days without a sync"
        }
        (Lang::Nl, Revoked) => {
            "Dit toestel werd ingetrokken en de gegevens werden gewist. Vraag uw teamverantwoordelijke om een nieuwe inschrijving."
        }
        (Lang::En, Revoked) => {
            "This device was revoked and its data wiped. Ask your supervisor for a new enrolment."
        }
        (Lang::Nl, FormTitle) => "Formulier",
        (Lang::En, FormTitle) => "Form",
        (Lang::Nl, DraftRestored) => "Uw niet-bewaarde invoer werd hersteld.",
        (Lang::En, DraftRestored) => "Your unsaved input was restored.",
        (Lang::Nl, DiscardDraft) => "Opnieuw beginnen",
        (Lang::En, DiscardDraft) => "Start over",
        (Lang::Nl, Verdict) => "Indicatief oordeel over de woning",
        (Lang::En, Verdict) => "Indicative housing verdict",
        (Lang::Nl, Incomplete) => "Nog niet volledig",
        (Lang::En, Incomplete) => "Not complete yet",
        (Lang::Nl, Remove) => "Verwijderen",
        (Lang::En, Remove) => "Remove",
        (Lang::Nl, Save) => "Bewaren",
        (Lang::En, Save) => "Save",
        (Lang::Nl, Back) => "Terug",
        (Lang::En, Back) => "Back",
        (Lang::Nl, SaveBlocked) => "Bewaren kan pas als de rode meldingen opgelost zijn.",
        (Lang::En, SaveBlocked) => "You can save once the red messages are solved.",
        (Lang::Nl, FillRequired) => "Vul eerst alle velden met een * in.",
        (Lang::En, FillRequired) => "First fill in every field marked *.",
        (Lang::Nl, AssignIntro) => {
            "Wie werkt dit dossier? Een aangevinkt teamlid krijgt het dossier op zijn toestel bij de volgende synchronisatie; uitvinken haalt het er weer af. Dit vraagt een verbinding."
        }
        (Lang::En, AssignIntro) => {
            "Who works this case? A ticked member gets the case on their device at the next sync; unticking takes it away again. This needs a connection."
        }
        (Lang::Nl, DateHint) => "dd/mm/jjjj",
        (Lang::En, DateHint) => "dd/mm/yyyy",
        (Lang::Nl, DateTimeHint) => "dd/mm/jjjj uu:mm",
        (Lang::En, DateTimeHint) => "dd/mm/yyyy hh:mm",
        (Lang::Nl, NextSession) => "Volgende zitdag:",
        (Lang::En, NextSession) => "Next session:",
        (Lang::Nl, TakeIt) => "Neem over",
        (Lang::En, TakeIt) => "Use it",
        (Lang::Nl, NotADate) => "Geen geldige datum: schrijf dd/mm/jjjj, bv. 26/11/2026",
        (Lang::En, NotADate) => "Not a valid date: write dd/mm/yyyy, e.g. 26/11/2026",
        (Lang::Nl, NotADateTime) => {
            "Geen geldige datum en uur: schrijf dd/mm/jjjj uu:mm, bv. 26/11/2026 14:00"
        }
        (Lang::En, NotADateTime) => {
            "Not a valid date and time: write dd/mm/yyyy hh:mm, e.g. 26/11/2026 14:00"
        }
        (Lang::Nl, Menu) => "Menu",
        (Lang::En, Menu) => "Menu",
        (Lang::Nl, MattersNow) => "Nu belangrijk",
        (Lang::En, MattersNow) => "What matters now",
        (Lang::Nl, NothingWaits) => "Niets wacht in dit dossier.",
        (Lang::En, NothingWaits) => "Nothing waits in this case.",
        (Lang::Nl, LastVisit) => "Laatste bezoek",
        (Lang::En, LastVisit) => "Last visit",
        (Lang::Nl, DueBy) => "tegen",
        (Lang::En, DueBy) => "due",
        (Lang::Nl, LateSince) => "te laat sinds",
        (Lang::En, LateSince) => "late since",
        (Lang::Nl, HouseholdData) => "Gezin, statuten en toestemmingen",
        (Lang::En, HouseholdData) => "Household, statuses and consents",
        (Lang::Nl, OpenActions) => "Afspraken en acties die nog lopen",
        (Lang::En, OpenActions) => "Actions still open",
        (Lang::Nl, CaseTitle) => "Dossier",
        (Lang::En, CaseTitle) => "Case",
        (Lang::Nl, Busy) => "Even geduld: de server wordt gecontacteerd…",
        (Lang::En, Busy) => "One moment: contacting the server…",
        (Lang::Nl, ValidUntil) => "Geldig tot",
        (Lang::En, ValidUntil) => "Valid until",
        (Lang::Nl, TeamTab) => "Team",
        (Lang::En, TeamTab) => "Team",
        (Lang::Nl, Required) => "Verplicht in te vullen",
        (Lang::En, Required) => "Required",
        (Lang::Nl, NotANumber) => "Geen geldig getal (gebruik een komma voor decimalen)",
        (Lang::En, NotANumber) => "Not a valid number",
        (Lang::Nl, Error) => "Fout",
        (Lang::En, Error) => "Error",
        (Lang::Nl, Warning) => "Let op",
        (Lang::En, Warning) => "Warning",
        (Lang::Nl, FlagWord) => "Signaal",
        (Lang::En, FlagWord) => "Flag",
        (Lang::Nl, Saved) => "Bewaard.",
        (Lang::En, Saved) => "Saved.",
        (Lang::Nl, EnrolTitle) => "Dit toestel inschrijven",
        (Lang::En, EnrolTitle) => "Enrol this device",
        (Lang::Nl, EnrolIntro) => {
            "Plak de inschrijvingscode (brug://enrol?…) die uw teamverantwoordelijke u gaf, of kies de afbeelding met de QR-code."
        }
        (Lang::En, EnrolIntro) => {
            "Paste the enrolment code (brug://enrol?…) your supervisor gave you, or choose the image with the QR code."
        }
        (Lang::Nl, EnrolUrl) => "Inschrijvingscode",
        (Lang::En, EnrolUrl) => "Enrolment code",
        (Lang::Nl, QrImage) => "Afbeelding met QR-code (PNG)",
        (Lang::En, QrImage) => "Image with QR code (PNG)",
        (Lang::Nl, ReadQr) => "QR-code lezen",
        (Lang::En, ReadQr) => "Read QR code",
        (Lang::Nl, DeviceName) => "Naam van dit toestel",
        (Lang::En, DeviceName) => "Name of this device",
        (Lang::Nl, NewPin) => "Kies een pincode (minstens 6 cijfers) of een wachtwoordzin",
        (Lang::En, NewPin) => "Choose a PIN (at least 6 digits) or a passphrase",
        (Lang::Nl, RepeatPin) => "Herhaal de pincode",
        (Lang::En, RepeatPin) => "Repeat the PIN",
        (Lang::Nl, PinsDiffer) => "De twee pincodes verschillen.",
        (Lang::En, PinsDiffer) => "The two PINs differ.",
        (Lang::Nl, PinTooShort) => {
            "Kies minstens 6 cijfers die niet allemaal gelijk of op een rij zijn (geen 111111 of 123456), of een wachtwoordzin van minstens 8 tekens."
        }
        (Lang::En, PinTooShort) => {
            "Choose at least 6 digits that are not all the same or in a row (not 111111 or 123456), or a passphrase of at least 8 characters."
        }
        (Lang::Nl, Enrol) => "Inschrijven",
        (Lang::En, Enrol) => "Enrol",
        (Lang::Nl, FirstSync) => "Eerste synchronisatie: dossiers ophalen",
        (Lang::En, FirstSync) => "First sync: fetching cases",
        (Lang::Nl, NewCase) => "Nieuw dossier",
        (Lang::En, NewCase) => "New case",
        (Lang::Nl, MyCases) => "Enkel mijn dossiers",
        (Lang::En, MyCases) => "Only my cases",
        (Lang::Nl, StatusLabel) => "Status",
        (Lang::En, StatusLabel) => "Status",
        (Lang::Nl, Household) => "Gezin",
        (Lang::En, Household) => "Household",
        (Lang::Nl, Members) => "Gezinsleden",
        (Lang::En, Members) => "Household members",
        (Lang::Nl, Consents) => "Toestemmingen",
        (Lang::En, Consents) => "Consents",
        (Lang::Nl, Statuses) => "Statuten",
        (Lang::En, Statuses) => "Statuses",
        (Lang::Nl, Timeline) => "Tijdlijn",
        (Lang::En, Timeline) => "Timeline",
        (Lang::Nl, Edit) => "Bewerken",
        (Lang::En, Edit) => "Edit",
        (Lang::Nl, Submit) => "Indienen ter nazicht",
        (Lang::En, Submit) => "Submit for review",
        (Lang::Nl, ReviewIt) => "Nazien",
        (Lang::En, ReviewIt) => "Review",
        (Lang::Nl, Flags) => "Signalen",
        (Lang::En, Flags) => "Flags",
        (Lang::Nl, ConflictsTitle) => "Tegenstrijdige wijzigingen",
        (Lang::En, ConflictsTitle) => "Conflicting edits",
        (Lang::Nl, ConflictsIntro) => {
            "Twee mensen schreven tegelijk iets anders. Niets ging verloren: kies welke waarde blijft."
        }
        (Lang::En, ConflictsIntro) => {
            "Two people wrote different values at the same time. Nothing was lost: choose which value stays."
        }
        (Lang::Nl, Keep) => "Deze waarde behouden",
        (Lang::En, Keep) => "Keep this value",
        (Lang::Nl, WrittenBy) => "geschreven door",
        (Lang::En, WrittenBy) => "written by",
        (Lang::Nl, On) => "op",
        (Lang::En, On) => "on",
        (Lang::Nl, ReviewTitle) => "Nazicht",
        (Lang::En, ReviewTitle) => "Review",
        (Lang::Nl, ChangesSince) => "Gewijzigd sinds de laatste goedkeuring",
        (Lang::En, ChangesSince) => "Changed since the last approval",
        (Lang::Nl, NoChangesSince) => "Nog nooit goedgekeurd: alles hierboven is nieuw.",
        (Lang::En, NoChangesSince) => "Never approved: everything above is new.",
        (Lang::Nl, Before) => "voor",
        (Lang::En, Before) => "before",
        (Lang::Nl, After) => "na",
        (Lang::En, After) => "after",
        (Lang::Nl, Approve) => "Goedkeuren",
        (Lang::En, Approve) => "Approve",
        (Lang::Nl, ReturnIt) => "Terugsturen",
        (Lang::En, ReturnIt) => "Return",
        (Lang::Nl, Comment) => "Opmerking voor de medewerker",
        (Lang::En, Comment) => "Comment for the worker",
        (Lang::Nl, CommentNeeded) => "Schrijf waarom u het terugstuurt.",
        (Lang::En, CommentNeeded) => "Say why you return it.",
        (Lang::Nl, Queue) => "Wachtrij",
        (Lang::En, Queue) => "Queue",
        (Lang::Nl, QueueIntro) => "Wat op uw nazicht of opvolging wacht.",
        (Lang::En, QueueIntro) => "What waits for your review or follow-up.",
        (Lang::Nl, QueueEmpty) => "Niets wacht op u.",
        (Lang::En, QueueEmpty) => "Nothing waits for you.",
        (Lang::Nl, QueueActivities) => "collectieve activiteit ter nazicht",
        (Lang::En, QueueActivities) => "collective activity to review",
        (Lang::Nl, QueueActivitiesWhy) => {
            "Een groepssessie of infomoment van het team, ingediend: keur goed of stuur terug."
        }
        (Lang::En, QueueActivitiesWhy) => {
            "A group session or information moment of the team, submitted: approve or return it."
        }
        (Lang::Nl, Settings) => "Instellingen",
        (Lang::En, Settings) => "Settings",
        (Lang::Nl, Language) => "Taal",
        (Lang::En, Language) => "Language",
        (Lang::Nl, LockAfter) => "Vergrendelen na (minuten zonder gebruik)",
        (Lang::En, LockAfter) => "Lock after (minutes unused)",
        (Lang::Nl, LockNow) => "Vergrendelen",
        (Lang::En, LockNow) => "Lock",
        (Lang::Nl, DeviceTitle) => "Toestel en server",
        (Lang::En, DeviceTitle) => "Device and server",
        (Lang::Nl, User) => "Gebruiker",
        (Lang::En, User) => "User",
        (Lang::Nl, Role) => "Rol",
        (Lang::En, Role) => "Role",
        (Lang::Nl, Team) => "Team",
        (Lang::En, Team) => "Team",
        (Lang::Nl, Server) => "Server",
        (Lang::En, Server) => "Server",
        (Lang::Nl, Fingerprint) => "Vingerafdruk certificaat",
        (Lang::En, Fingerprint) => "Certificate fingerprint",
        (Lang::Nl, MineShort) => "Mijn dossiers",
        (Lang::En, MineShort) => "Mine",
        (Lang::Nl, AllFlags) => "Signaal",
        (Lang::En, AllFlags) => "Flag",
        (Lang::Nl, AnyStatus) => "Status",
        (Lang::En, AnyStatus) => "Status",
        (Lang::Nl, FilterByFlag) => "Toon alleen dossiers met signaal",
        (Lang::En, FilterByFlag) => "Show only cases with flag",
        (Lang::Nl, FilterByStatus) => "Toon alleen dossiers met status",
        (Lang::En, FilterByStatus) => "Show only cases with status",
        (Lang::Nl, ActiveFilters) => "Gefilterd op",
        (Lang::En, ActiveFilters) => "Filtered by",
        (Lang::Nl, Close) => "Sluiten",
        (Lang::En, Close) => "Close",
        (Lang::Nl, KeyProtection) => "Sleutel beschermd door",
        (Lang::En, KeyProtection) => "Key protected by",
        (Lang::Nl, PinOnly) => "alleen de pincode (geen sleutelbos van het systeem gevonden)",
        (Lang::En, PinOnly) => "the PIN alone (no system keystore found)",
        (Lang::Nl, PinAnd) => "pincode en",
        (Lang::En, PinAnd) => "PIN and",
        (Lang::Nl, DeviceId) => "Toestel-id",
        (Lang::En, DeviceId) => "Device id",
        (Lang::Nl, Lease) => "Offline toegelaten",
        (Lang::En, Lease) => "Allowed offline",
        (Lang::Nl, Days) => "dagen",
        (Lang::En, Days) => "days",
        (Lang::Nl, NoneYet) => "Nog niets.",
        (Lang::En, NoneYet) => "Nothing yet.",
        (Lang::Nl, Conflicting) => "tegenstrijdig",
        (Lang::En, Conflicting) => "conflicting",
        (Lang::Nl, History) => "Geschiedenis",
        (Lang::En, History) => "History",
        (Lang::Nl, Open) => "Openen",
        (Lang::En, Open) => "Open",
        (Lang::Nl, AssignTitle) => "Dossier toewijzen",
        (Lang::En, AssignTitle) => "Assign case",
        (Lang::Nl, EnrolOther) => "Toestel inschrijven voor een teamlid",
        (Lang::En, EnrolOther) => "Enrol a device for a team member",
        (Lang::Nl, MakeCode) => "Code maken",
        (Lang::En, MakeCode) => "Make code",
        (Lang::Nl, TheRecord) => "Het record zoals het nu is",
        (Lang::En, TheRecord) => "The record as it stands",
        (Lang::Nl, WaitingWork) => "Wachtend werk",
        (Lang::En, WaitingWork) => "Waiting work",
        (Lang::Nl, WaitingIntro) => {
            "Werk dat nog niet gesynchroniseerd was toen een toestel een dossier verloor (weggenomen of ingetrokken). Voeg het samen in het dossier of gooi het weg."
        }
        (Lang::En, WaitingIntro) => {
            "Work that was not synced yet when a device lost a case (taken away or revoked). Merge it into the case or discard it."
        }
        (Lang::Nl, NothingWaiting) => "Er wacht geen werk.",
        (Lang::En, NothingWaiting) => "No work is waiting.",
        (Lang::Nl, MergeIntoCase) => "Samenvoegen",
        (Lang::En, MergeIntoCase) => "Merge",
        (Lang::Nl, Discard) => "Weggooien",
        (Lang::En, Discard) => "Discard",
        (Lang::Nl, Merged) => "samengevoegd",
        (Lang::En, Merged) => "merged",
        (Lang::Nl, Discarded) => "weggegooid",
        (Lang::En, Discarded) => "discarded",
        (Lang::Nl, ScanThis) => {
            "Laat het teamlid deze code scannen of plakken. Ze is eenmalig en kort geldig."
        }
        (Lang::En, ScanThis) => {
            "Let the team member scan or paste this code. It works once and for a short time."
        }
        (Lang::Nl, RulesSay) => "Wat de regels zeggen",
        (Lang::En, RulesSay) => "What the rules say",
        (Lang::Nl, CatalogueTitle) => "Catalogus van doorverwijzingen",
        (Lang::En, CatalogueTitle) => "Referral catalogue",
        (Lang::Nl, CatalogueIntro) => {
            "De diensten waarnaar uw team doorverwijst, met hun zittingen. Een wijziging gaat bij de volgende synchronisatie naar elk toestel van het team; het doorverwijsformulier stelt de volgende zitting voor."
        }
        (Lang::En, CatalogueIntro) => {
            "The services your team refers to, with their sessions. A change reaches every device of the team with the next sync; the referral form proposes the next session."
        }
        (Lang::Nl, AddService) => "Dienst toevoegen",
        (Lang::En, AddService) => "Add a service",
        (Lang::Nl, ServiceName) => "Naam",
        (Lang::En, ServiceName) => "Name (Dutch)",
        (Lang::Nl, ServiceNameEn) => "Naam in het Engels",
        (Lang::En, ServiceNameEn) => "Name in English",
        (Lang::Nl, Organisation) => "Organisatie",
        (Lang::En, Organisation) => "Organisation",
        (Lang::Nl, PlanAction) => "Actie in het meerjarenplan",
        (Lang::En, PlanAction) => "Action of the multi-year plan",
        (Lang::Nl, Sdgs) => "SDG's",
        (Lang::En, Sdgs) => "SDGs",
        (Lang::Nl, DataRecipient) => "Ontvanger van gegevens",
        (Lang::En, DataRecipient) => "Receives data",
        (Lang::Nl, OwnService) => "geen: eigen dienst van het OCMW",
        (Lang::En, OwnService) => "none: the OCMW's own service",
        (Lang::Nl, ConsentNeeded) => "toestemming nodig",
        (Lang::En, ConsentNeeded) => "consent needed",
        (Lang::Nl, NoConsentNeeded) => "geen toestemming nodig",
        (Lang::En, NoConsentNeeded) => "no consent needed",
        (Lang::Nl, Address) => "Adres",
        (Lang::En, Address) => "Address",
        (Lang::Nl, Sessions) => "Zittingen",
        (Lang::En, Sessions) => "Sessions",
        (Lang::Nl, ByAppointment) => "op afspraak",
        (Lang::En, ByAppointment) => "by appointment",
        (Lang::Nl, AddSession) => "Zitting toevoegen",
        (Lang::En, AddSession) => "Add a session",
        (Lang::Nl, Weekly) => "elke week",
        (Lang::En, Weekly) => "every week",
        (Lang::Nl, MonthlyNth) => "de n-de van de maand",
        (Lang::En, MonthlyNth) => "the nth of the month",
        (Lang::Nl, NthInMonth) => "welke in de maand (1–5)",
        (Lang::En, NthInMonth) => "which in the month (1–5)",
        (Lang::Nl, Weekday) => "weekdag",
        (Lang::En, Weekday) => "weekday",
        (Lang::Nl, TimeFrom) => "van",
        (Lang::En, TimeFrom) => "from",
        (Lang::Nl, TimeUntil) => "tot",
        (Lang::En, TimeUntil) => "until",
        (Lang::Nl, Place) => "plaats",
        (Lang::En, Place) => "place",
        (Lang::Nl, ClosedDays) => "Gesloten dagen (één datum per regel, naast de feestdagen)",
        (Lang::En, ClosedDays) => "Closing days (one date per line, beside the public holidays)",
        (Lang::Nl, Retired) => "Niet meer aanbieden voor nieuwe doorverwijzingen",
        (Lang::En, Retired) => "No longer offer for new referrals",
        (Lang::Nl, RetiredBadge) => "niet meer aangeboden",
        (Lang::En, RetiredBadge) => "no longer offered",
        (Lang::Nl, BadTime) => "Schrijf een tijd als 13:30.",
        (Lang::En, BadTime) => "Write a time as 13:30.",
        (Lang::Nl, BadDay) => "Schrijf een datum als 25/12/2026:",
        (Lang::En, BadDay) => "Write a date as 25/12/2026:",
        (Lang::Nl, ReportTitle) => "Rapport meerjarenplan",
        (Lang::En, ReportTitle) => "Multi-year plan report",
        (Lang::Nl, ReportTab) => "Rapport",
        (Lang::En, ReportTab) => "Report",
        (Lang::Nl, ReportIntro) => {
            "Wat elke actie van het meerjarenplan bereikte, per SDG: alleen aantallen en bedragen, geen namen."
        }
        (Lang::En, ReportIntro) => {
            "What each action of the multi-year plan reached, per SDG: counts and sums only, no names."
        }
        (Lang::Nl, PeriodFrom) => "Van",
        (Lang::En, PeriodFrom) => "From",
        (Lang::Nl, PeriodTo) => "Tot en met",
        (Lang::En, PeriodTo) => "To",
        (Lang::Nl, BreakdownLabel) => "Opsplitsing",
        (Lang::En, BreakdownLabel) => "Breakdown",
        (Lang::Nl, PublicReport) => "Publiek rapport (aantallen onder 5 als <5)",
        (Lang::En, PublicReport) => "Public report (counts below 5 as <5)",
        (Lang::Nl, PublicNote) => {
            "Publiek rapport: aantallen onder 5 staan als <5, cijfers die ze zouden verraden als ·."
        }
        (Lang::En, PublicNote) => {
            "Public report: counts below 5 show as <5, figures that would reveal them as ·."
        }
        (Lang::Nl, Refresh) => "Vernieuwen",
        (Lang::En, Refresh) => "Refresh",
        (Lang::Nl, DownloadExcel) => "Download als Excel",
        (Lang::En, DownloadExcel) => "Download as Excel",
        (Lang::Nl, BadPeriod) => "Geef twee datums (dd/mm/jjjj); de eerste niet na de tweede.",
        (Lang::En, BadPeriod) => "Give two dates (dd/mm/yyyy), the first not after the second.",
        (Lang::Nl, ExcelSavedTo) => "Excel bewaard in",
        (Lang::En, ExcelSavedTo) => "Excel saved to",
        (Lang::Nl, NoReportYet) => {
            "Nog geen rapport: kies een periode en vernieuw (met verbinding)."
        }
        (Lang::En, NoReportYet) => "No report yet: choose a period and refresh (online).",
        (Lang::Nl, PlanVersion) => "planversie",
        (Lang::En, PlanVersion) => "plan version",
        (Lang::Nl, Fetched) => "opgehaald",
        (Lang::En, Fetched) => "fetched",
        (Lang::Nl, ReportOffline) => "Dit is het laatst opgehaalde rapport; een nieuw kwam niet:",
        (Lang::En, ReportOffline) => "This is the last report fetched; a new one did not come:",
        (Lang::Nl, ActivitiesTitle) => "Collectieve activiteiten",
        (Lang::En, ActivitiesTitle) => "Collective activities",
        (Lang::Nl, ActivitiesTab) => "Activiteiten",
        (Lang::En, ActivitiesTab) => "Activities",
        (Lang::Nl, ActivitiesIntro) => {
            "Groepssessies en infomomenten van het plan, niet gebonden aan één gezin. Gezinnen met een dossier die deelnamen, tellen als bereikt."
        }
        (Lang::En, ActivitiesIntro) => {
            "Group sessions and information moments of the plan, not tied to one household. Households with a case that took part count as reached."
        }
        (Lang::Nl, AddActivity) => "Activiteit toevoegen",
        (Lang::En, AddActivity) => "Add an activity",
        (Lang::Nl, NoActivities) => "Nog geen activiteiten.",
        (Lang::En, NoActivities) => "No activities yet.",
        (Lang::Nl, ActivityTitle) => "Activiteit",
        (Lang::En, ActivityTitle) => "Activity",
        (Lang::Nl, ActivityName) => "Titel",
        (Lang::En, ActivityName) => "Title",
        (Lang::Nl, ActivityKindLabel) => "Soort",
        (Lang::En, ActivityKindLabel) => "Kind",
        (Lang::Nl, Date) => "Datum",
        (Lang::En, Date) => "Date",
        (Lang::Nl, Organiser) => "Organisator",
        (Lang::En, Organiser) => "Organiser",
        (Lang::Nl, Venue) => "Plaats",
        (Lang::En, Venue) => "Place",
        (Lang::Nl, Participants) => "Deelnemers",
        (Lang::En, Participants) => "Participants",
        (Lang::Nl, WithACase) => "met een dossier",
        (Lang::En, WithACase) => "with a case",
        (Lang::Nl, HouseholdsTakingPart) => "Gezinnen met een dossier die deelnamen (optioneel)",
        (Lang::En, HouseholdsTakingPart) => "Households with a case that took part (optional)",
        (Lang::Nl, Cancel) => "Annuleren",
        (Lang::En, Cancel) => "Cancel",
        (Lang::Nl, ReadOnlyCatalogue) => "Alleen een teamverantwoordelijke past de catalogus aan.",
        (Lang::En, ReadOnlyCatalogue) => "Only a supervisor changes the catalogue.",
    }
}

/// When a queue item is due, seen from `now`: "te laat sinds 01/10/2026",
/// "nog 20 uur" (within three days), "tegen 05/11/2026". A due time at
/// midnight is a date.
pub fn due(lang: Lang, due: chrono::NaiveDateTime, now: chrono::NaiveDateTime) -> String {
    let shown = if due.time() == chrono::NaiveTime::MIN {
        crate::format::date(due.date())
    } else {
        crate::format::date_time(due)
    };
    let hours = (due - now).num_hours();
    match lang {
        Lang::Nl if due < now => format!("te laat sinds {shown}"),
        Lang::En if due < now => format!("overdue since {shown}"),
        Lang::Nl if hours < 72 => format!("nog {hours} uur"),
        Lang::En if hours < 72 => {
            format!("{hours} {} left", if hours == 1 { "hour" } else { "hours" })
        }
        Lang::Nl => format!("tegen {shown}"),
        Lang::En => format!("by {shown}"),
    }
}

/// The warning that a device was enrolled in the user's name: `when` as
/// the screens show moments.
pub fn device_joined(lang: Lang, name: &str, when: &str) -> String {
    match lang {
        Lang::Nl => format!(
            "Er werd een nieuw toestel op uw naam ingeschreven: {name} ({when}). Was u dat niet? Verwittig meteen uw teamverantwoordelijke."
        ),
        Lang::En => format!(
            "A new device was enrolled in your name: {name} ({when}). Not you? Tell your supervisor at once."
        ),
    }
}

/// A role (`bridge-worker`, ...) as a user reads it.
pub fn role(lang: Lang, code: &str) -> &'static str {
    match (lang, code) {
        (Lang::Nl, "bridge-worker") => "brugfiguur",
        (Lang::En, "bridge-worker") => "bridge worker",
        (Lang::Nl, "housing-adviser") => "woonadviseur",
        (Lang::En, "housing-adviser") => "housing adviser",
        (Lang::Nl, "supervisor") => "teamverantwoordelijke",
        (Lang::En, "supervisor") => "supervisor",
        (Lang::Nl, "admin") => "beheerder",
        (Lang::En, "admin") => "administrator",
        (Lang::Nl, _) => "teamlid",
        (Lang::En, _) => "team member",
    }
}

/// What a case flag means and what to do, in one sentence
/// ([`CaseFlag::explained`]); nothing for a code this version does not know.
pub fn flag_explained(lang: Lang, code: &str) -> &'static str {
    CaseFlag::from_code(code).map_or("", |f| f.explained(lang))
}

/// A case flag as a user reads it ([`CaseFlag`]'s label).
pub fn flag(lang: Lang, code: &str) -> &'static str {
    match (CaseFlag::from_code(code), lang) {
        (Some(f), lang) => f.label(lang),
        (None, Lang::Nl) => "signaal",
        (None, Lang::En) => "flag",
    }
}

/// Why no enrolment code could be read from an image (or drawn).
pub fn qr_error(lang: Lang, error: &crate::qr::QrError) -> String {
    use crate::qr::QrError::*;
    match (lang, error) {
        (Lang::Nl, Open(e)) => format!("het bestand opent niet: {e}"),
        (Lang::En, Open(e)) => format!("the file does not open: {e}"),
        (Lang::Nl, NotPng(e)) => format!("geen PNG-afbeelding: {e}"),
        (Lang::En, NotPng(e)) => format!("not a PNG image: {e}"),
        (Lang::Nl, TooLarge) => "afbeelding te groot".into(),
        (Lang::En, TooLarge) => "image too large".into(),
        (Lang::Nl, Unreadable(e)) => format!("PNG onleesbaar: {e}"),
        (Lang::En, Unreadable(e)) => format!("unreadable PNG: {e}"),
        (Lang::Nl, NoCode) => "geen QR-code gevonden in de afbeelding".into(),
        (Lang::En, NoCode) => "no QR code found in the image".into(),
        (Lang::Nl, Draw(e)) => format!("de QR-code kon niet getekend worden: {e}"),
        (Lang::En, Draw(e)) => format!("the QR code could not be drawn: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_its_own_words_in_both_languages() {
        for code in CaseFlag::ALL.iter().map(|f| f.code()) {
            assert_ne!(flag(Lang::Nl, code), "signaal", "{code}");
            assert_ne!(flag(Lang::En, code), "flag", "{code}");
        }
    }
}
