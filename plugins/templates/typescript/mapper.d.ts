// The contract, wit/mapper.wit (tenure:mapper@1.1.0, world `plugin-json`), as TypeScript sees it
// once componentize-js has built the plugin: records are objects with camelCase fields, enums
// their kebab-case names, `option<T>` is `T | undefined`, tuples are arrays, and a function
// returning a `result` returns its value or throws `{ payload: MappingError }`. The JSON batch
// call (`MappingJson`) carries the same shapes as JSON text: `JSON.parse(items)` is a
// `BatchItem[]` (an option that is none is left out), and the answer is the UTF-8 encoding
// (`TextEncoder`) of the `JSON.stringify` of a `BatchAnswers` (undefined fields are left out;
// Tenure also reads `null` as none).

/** A calendar date, no time zone: the zone is the worker's and has been applied already. */
export interface Date {
  year: number;
  month: number;
  day: number;
}

/** What the HR system says about the worker's employment. */
export type EmploymentStatus = 'active' | 'leave' | 'terminated';

/** One worker as the HR system describes them, normalised by Tenure. */
export interface Worker {
  employeeId: string;
  firstName?: string;
  lastName?: string;
  preferredName?: string;
  middleName?: string;
  personalEmail?: string;
  jobTitle?: string;
  department?: string;
  division?: string;
  costCenter?: string;
  location?: string;
  /** ISO 3166 alpha-2, upper case. */
  country?: string;
  managerEmployeeId?: string;
  employmentStatus: EmploymentStatus;
  leaveType?: string;
  employmentType?: string;
  hireDate?: Date;
  terminationDate?: Date;
  /** IANA time zone name, already checked by Tenure. */
  timeZone?: string;
  mobilePhone?: string;
  /** Every other HR column, by its header, in file order. */
  custom: Array<[string, string]>;
}

/** What the plugin is told besides the worker. */
export interface Context {
  /** Today's date in the worker's time zone. */
  today: Date;
  /** Whether the worker already has a directory account (identity candidates may then be left out). */
  hasAccount: boolean;
  /** The tenant's verified domains. */
  domains: Array<string>;
  /** The customer's plugin configuration, as JSON text. */
  config: string;
}

/** One worker of a batch, with today's date in that worker's time zone. */
export interface BatchItem {
  worker: Worker;
  today: Date;
  hasAccount: boolean;
}

/** Where the worker stands in the lifecycle, as the plugin judges it. */
export type Phase = 'not-yet' | 'pre-hire' | 'active' | 'on-leave' | 'terminated';

/** The kinds of group Tenure manages. */
export type GroupKind = 'security' | 'microsoft365' | 'distribution' | 'mail-enabled-security';

/** A group, named by its display name, mail address or object id. */
export interface GroupRef {
  kind: GroupKind;
  name: string;
}

/** Someone to be given access, resolved by Tenure against the directory. */
export type Principal =
  | { tag: 'manager' }
  | { tag: 'employee'; val: string }
  | { tag: 'user'; val: string };

/** How the worker's mailbox should be. */
export interface Mailbox {
  shared: boolean;
  hiddenFromAddressLists: boolean;
  fullAccess: Array<Principal>;
}

/** A candidate identity: the first one whose UPN and mail nickname are both free wins. */
export interface Identity {
  userPrincipalName: string;
  mailNickname: string;
}

/** A directory attribute by its Microsoft Graph property name; no value clears it. */
export interface Attribute {
  name: string;
  value?: string;
}

/** One-off actions to take when the account goes from enabled to disabled as a leaver. */
export interface OnDisable {
  revokeSessions: boolean;
  scramblePassword: boolean;
}

/** The account the worker should have. */
export interface Account {
  enabled: boolean;
  /** Ordered candidates; at least one when the worker has no account yet. */
  identities: Array<Identity>;
  displayName: string;
  attributes: Array<Attribute>;
  managerEmployeeId?: string;
  /** Memberships the rules give, of groups the configuration manages. */
  groups: Array<GroupRef>;
  /** License SKU part numbers, such as ENTERPRISEPACK. */
  licenses: Array<string>;
  /** undefined leaves the mailbox as it is. */
  mailbox?: Mailbox;
  onDisable: OnDisable;
}

/** The state a worker's directory presence should be in. */
export interface DesiredState {
  phase: Phase;
  /** undefined: no account should exist (yet); an existing one is left alone. */
  account?: Account;
}

/** Why a worker or a configuration was refused. */
export interface MappingError {
  /** The HR field or configuration path at fault, if any. */
  field?: string;
  message: string;
}

/** What a configuration manages: only these groups and licenses are ever taken away. */
export interface Managed {
  groups: Array<GroupRef>;
  licenses: Array<string>;
}

/** One answer of mapBatch. */
export type Result<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

/** The functions a mapping plugin exports, as the module's `mapping`. */
export interface Mapping {
  /** Checks a configuration and says what it manages; throws `{ payload: MappingError }` to refuse it. */
  validateConfig(config: string, domains: Array<string>): Managed;
  /** Maps one worker; throws `{ payload: MappingError }` to refuse them. */
  map(worker: Worker, context: Context): DesiredState;
  /** Maps many workers that share one configuration: one answer per item, in order. */
  mapBatch(items: Array<BatchItem>, domains: Array<string>, config: string): Array<Result<DesiredState, MappingError>>;
}

/** What `map-batch-json`'s answer holds, as JSON: one result per item, in order. */
export type BatchAnswers = Array<Result<DesiredState, MappingError>>;

/** The JSON batch call (contract 1.1), as the module's `mappingJson`: Tenure maps batches with it. */
export interface MappingJson {
  /** `items` is the JSON text of a `BatchItem[]`; answers the UTF-8 bytes of the JSON text of `BatchAnswers`. */
  mapBatchJson(items: string, domains: Array<string>, config: string): Uint8Array;
}
