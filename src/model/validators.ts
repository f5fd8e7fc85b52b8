/**
 * Attribute converters in the manner of neutron-lib's validators: each takes the raw JSON value and
 * either returns the stored form or throws with Neutron's wording and fault type (a failed
 * validation rule is HTTPBadRequest, a failed conversion InvalidInput), so a definition is
 * the whole story of what an attribute accepts.
 */
import { AllowedAddressPairsMissingIP, BadRequest, DuplicateAddressPairInRequest, InvalidInput, InvalidInputSubnetServiceType, InvalidSubnetServiceType, SecurityGroupInvalidPortValue } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { canonicalIp, parseCidr, parseIp, formatCidr } from '../core/ip.js';
import { pyStr } from '../core/objects.js';
import { canonicalMac } from '../core/mac.js';

export type Converter = (value: unknown, attr: string) => unknown;

export function invalid(attr: string, reason: string): never {
  throw new BadRequest(`Invalid input for ${attr}. Reason: ${reason}.`);
}

/**
 * Neutron's convert_to_* functions fail with InvalidInput rather than a validation 400, and their
 * message names no attribute: n_exc.InvalidInput words it "Invalid input for operation: <reason>."
 */
export function unconvertible(reason: string): never {
  throw new InvalidInput(`Invalid input for operation: ${reason}.`);
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

/** oslo's strutils.TRUE_STRINGS and FALSE_STRINGS, which convert_to_boolean takes (strict). */
const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/**
 * neutron-lib's convert_to_boolean: strutils.bool_from_string(strict=True), so "yes", "on", "t",
 * "n" and friends are booleans too (any case, spaces around), and so is a number whose str() is
 * "1" or "0". Query filters go through the same converter.
 */
export function boolFromString(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' || typeof v === 'number') {
    const s = String(v).trim().toLowerCase();
    if (TRUE_STRINGS.has(s)) return true;
    if (FALSE_STRINGS.has(s)) return false;
  }
  return unconvertible(`'${pyStr(v)}' cannot be converted to boolean`);
}

export const toBoolean: Converter = (v) => boolFromString(v);

/** neutron-lib's convert_to_int: Python's int() of a number (truncating) or a string of an integer. */
export function toInt(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  return unconvertible(`'${pyStr(v)}' is not an integer`);
}

export function string(maxLen = 255, opts: { nullable?: boolean } = {}): Converter {
  return (v, attr) => {
    if (v === null && opts.nullable) return null;
    if (typeof v !== 'string') return invalid(attr, `'${pyStr(v)}' is not a valid string`);
    if (v.length > maxLen) return invalid(attr, `${show(v)} exceeds maximum length of ${maxLen}`);
    return v;
  };
}

/** Neutron's type:not_empty_string (a subnet pool's name). */
export function notEmptyString(maxLen = 255): Converter {
  const base = string(maxLen);
  return (v, attr) => {
    const s = base(v, attr) as string;
    if (s.trim() === '') return invalid(attr, `${show(v)} Blank strings are not permitted`);
    return s;
  };
}

/**
 * binding:host_id has no validator in Neutron, and ML2 takes `attrs.get(HOST_ID) or ''`: null
 * unbinds the port. Nova sends it so when it lets go of a port it did not create.
 */
export const hostId: Converter = (v, attr) => (v === null ? '' : string(255)(v, attr));

export const uuid: Converter = (v, attr) => {
  if (!isUuid(v)) return invalid(attr, `${show(v)} is not a valid UUID`);
  return v;
};

export const uuidOrNull: Converter = (v, attr) => (v === null ? null : uuid(v, attr));

export const projectId: Converter = (v, attr) => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 255) {
    return invalid(attr, `${show(v)} is not a valid project id`);
  }
  return v;
};

export function integer(min: number, max: number, opts: { nullable?: boolean } = {}): Converter {
  return (v, attr) => {
    if (v === null && opts.nullable) return null;
    const n = toInt(v);
    if (n < min) return invalid(attr, `${show(v)} is too small - must be at least '${min}'`);
    if (n > max) return invalid(attr, `${show(v)} is too large - must be no more than '${max}'`);
    return n;
  };
}

/**
 * convert_to_int, then type:values, worded as Neutron 21 words both for an address scope's
 * ip_version: "Invalid input for operation: 'x' is not an integer." and "... 5 is not in valid_values."
 */
export function integerIn(values: readonly number[]): Converter {
  return (v, attr) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw new InvalidInput(`Invalid input for operation: ${show(v)} is not an integer.`);
    if (!values.includes(n)) return invalid(attr, `${n} is not in valid_values`);
    return n;
  };
}

export function oneOf(values: readonly (string | null)[]): Converter {
  return (v, attr) => {
    if (!values.includes(v as string | null)) {
      // validate_values' words: the value as Python prints it, the list as 'valid_values'.
      return invalid(attr, `${pyStr(v)} is not in valid_values`);
    }
    return v;
  };
}

export const ipAddress: Converter = (v, attr) => {
  const ip = typeof v === 'string' ? canonicalIp(v) : undefined;
  if (ip === undefined) return invalid(attr, `${show(v)} is not a valid IP address`);
  return ip;
};

export const ipAddressOrNull: Converter = (v, attr) => (v === null ? null : ipAddress(v, attr));

export const subnetCidr: Converter = (v, attr) => {
  const c = parseCidr(v);
  if (!c) return invalid(attr, `${show(v)} is not a valid IP subnet`);
  return formatCidr(c);
};

/**
 * A subnet's cidr: neutron-lib's convert_cidr_to_canonical_format, whose failure is the
 * converter's InvalidInput ("abc is not in a CIDR format"), not a validation 400.
 */
export const subnetCidrConverted: Converter = (v) => {
  const c = parseCidr(v);
  if (!c) return unconvertible(`${pyStr(v)} is not in a CIDR format`);
  return formatCidr(c);
};

/** An address or a prefix, as allowed_address_pairs and remote_ip_prefix take them. */
export const ipOrCidr: Converter = (v, attr) => {
  if (typeof v === 'string' && !v.includes('/')) {
    const ip = canonicalIp(v);
    if (ip !== undefined) return ip;
  }
  const c = parseCidr(v);
  if (!c) return invalid(attr, `${show(v)} is not a valid IP subnet`);
  return formatCidr(c);
};

/** neutron-lib's validate_route_cidr: a network address and its length, not a host in it, and routable. */
function routeCidrError(v: unknown): string | undefined {
  const c = parseCidr(v);
  if (!c) return `'${pyStr(v)}' is not a valid CIDR`;
  const given = parseIp((v as string).slice(0, (v as string).indexOf('/')))!;
  if (given.value !== c.network) return `'${pyStr(v)}' is not a recognized CIDR, '${formatCidr(c)}' is recommended`;
  const loopback = c.version === 4 ? c.prefixlen >= 8 && c.network >> 24n === 127n : c.prefixlen === 128 && c.network === 1n;
  if (loopback) return `'${pyStr(v)}' is not a routable CIDR`;
  return undefined;
}

/**
 * neutron-lib's validate_hostroutes (a router's `routes`): a list of dicts with exactly the keys
 * destination and nexthop, each destination a routable network address, no route twice; its
 * messages, the failing route as Python prints it.
 */
export const hostRoutes: Converter = (v, attr) => {
  if (!Array.isArray(v)) return invalid(attr, `Invalid data format for hostroute: '${pyStr(v)}'`);
  const seen = new Set<string>();
  return v.map((r: unknown) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      return invalid(attr, `Invalid input. '${pyStr(r)}' must be a dictionary with keys: ['destination', 'nexthop']`);
    }
    const route = r as Record<string, unknown>;
    const keys = Object.keys(route);
    if (keys.length !== 2 || !('destination' in route) || !('nexthop' in route)) {
      return invalid(attr, `Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: {${keys.map((k) => `'${k}'`).join(', ')}}`);
    }
    const error = routeCidrError(route.destination);
    if (error) return invalid(attr, error);
    const nexthop = typeof route.nexthop === 'string' ? canonicalIp(route.nexthop) : undefined;
    if (nexthop === undefined) return invalid(attr, `'${pyStr(route.nexthop)}' is not a valid IP address`);
    const key = `${String(route.destination)} ${nexthop}`;
    if (seen.has(key)) return invalid(attr, `Duplicate hostroute '${pyStr(route)}'`);
    seen.add(key);
    return { destination: route.destination as string, nexthop };
  });
};

/** neutron-lib's INVALID_MAC_ADDRESSES; a multicast MAC is otherwise a valid one to Neutron. */
const INVALID_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

/** neutron-lib's validate_mac_address: the message, or undefined for a good MAC. */
function macError(v: unknown): string | undefined {
  const mac = canonicalMac(v);
  return !mac || INVALID_MACS.has(mac) ? `'${pyStr(v)}' is not a valid MAC address` : undefined;
}

/**
 * neutron-lib's validate_nameservers (a subnet's dns_nameservers): each a valid address, none twice,
 * in its words. null is convert_none_to_empty_list's empty list.
 */
export const nameservers: Converter = (v, attr) => {
  if (v === null) return [];
  if (!Array.isArray(v)) return invalid(attr, `Invalid data format for nameserver: '${pyStr(v)}'`);
  const seen: unknown[] = [];
  return v.map((host: unknown) => {
    const ip = typeof host === 'string' ? canonicalIp(host) : undefined;
    if (ip === undefined) return invalid(attr, `'${pyStr(host)}' is not a valid nameserver. '${pyStr(host)}' is not a valid IP address`);
    if (seen.includes(host)) return invalid(attr, `Duplicate nameserver '${pyStr(host)}'`);
    seen.push(host);
    return ip;
  });
};

export const macAddress: Converter = (v, attr) => {
  const msg = macError(v);
  if (msg) return invalid(attr, msg);
  return canonicalMac(v);
};

/**
 * neutron-lib's _validate_allowed_address_pairs, check by check and fault by fault: most of its
 * refusals are bare HTTPBadRequests (no "Invalid input for" wrapper), a pair without ip_address is
 * AllowedAddressPairsMissingIP, the same pair twice (as given) DuplicateAddressPairInRequest.
 */
export const allowedAddressPairs: Converter = (v, attr) => {
  if (!Array.isArray(v)) throw new BadRequest('Allowed address pairs must be a list.');
  const seen = new Set<string>();
  return v.map((pair: unknown) => {
    if (pair === null || typeof pair !== 'object' || Array.isArray(pair)) return invalid(attr, `'${pyStr(pair)}' is not a dictionary`);
    const p = pair as Record<string, unknown>;
    if ('mac_address' in p) {
      const msg = macError(p.mac_address);
      if (msg) throw new BadRequest(msg);
    }
    if (!('ip_address' in p)) throw new AllowedAddressPairsMissingIP('AllowedAddressPair must contain ip_address');
    const key = JSON.stringify([p.mac_address ?? null, p.ip_address]);
    if (seen.has(key)) {
      throw new DuplicateAddressPairInRequest(
        `Request contains duplicate address pair: mac_address ${pyStr(p.mac_address)} ip_address ${pyStr(p.ip_address)}.`,
      );
    }
    seen.add(key);
    const unknown = Object.keys(p).filter((k) => k !== 'mac_address' && k !== 'ip_address');
    if (unknown.length) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const ip = p.ip_address;
    const given = typeof ip === 'string' ? ip : '';
    const cidr = given.includes('/') ? parseCidr(given) : undefined;
    const addr = given.includes('/') ? undefined : canonicalIp(given);
    if (given.includes('/') ? !cidr : addr === undefined) {
      throw new BadRequest(given.includes('/') ? `'${given}' is not a valid IP subnet` : `'${pyStr(ip)}' is not a valid IP address`);
    }
    const out: { ip_address: string; mac_address?: string } = { ip_address: cidr ? formatCidr(cidr) : addr! };
    if ('mac_address' in p) out.mac_address = canonicalMac(p.mac_address);
    return out;
  });
};

/** port-mac-address-regenerate: null asks for a fresh MAC, which the domain picks. */
export const macAddressOrNull: Converter = (v, attr) => (v === null ? null : macAddress(v, attr));

export function listOf(item: Converter, opts: { unique?: boolean; max?: number } = {}): Converter {
  return (v, attr) => {
    if (!Array.isArray(v)) return invalid(attr, `${show(v)} is not a list`);
    if (opts.max !== undefined && v.length > opts.max) {
      return invalid(attr, `list exceeds the maximum of ${opts.max} items`);
    }
    const out = v.map((x) => item(x, attr));
    if (opts.unique) {
      const seen = new Set(out.map((x) => JSON.stringify(x)));
      if (seen.size !== out.length) return invalid(attr, `Duplicate items in the list: ${show(v)}`);
    }
    return out;
  };
}

/**
 * A subnet's service type names the device owners whose ports take addresses there, so it must
 * look like one: a prefix and a colon ("network:dhcp", "compute:nova", "trunk:subport"). Neutron
 * means neutron-lib's DEVICE_OWNER_PREFIXES and "compute:", but adds "compute:" to its list letter by
 * letter, so what it really accepts is anything starting with one of those letters: Tempest's
 * "test:type_1" and "trunk:subport" pass, "baremetal:none" does not. We accept every owner-shaped
 * string, which keeps Tempest's and every real owner, and still refuses "bogus".
 */
export const subnetServiceType: Converter = (v) => {
  if (typeof v !== 'string') throw new InvalidInputSubnetServiceType(`Subnet service type ${show(v)} is not a string.`);
  if (!/^[^:\s]+:/.test(v)) {
    throw new InvalidSubnetServiceType(`Subnet service type ${v} does not correspond to a valid device owner.`);
  }
  return v;
};

/**
 * neutron-lib's validate_fixed_ips: a list of dicts, each ip_address a valid address given once,
 * each subnet_id a UUID; other keys pass the validator (and are ignored here). A fixed IP with
 * neither key is the plugin's InvalidInput, as in Neutron (ports.ts).
 */
export const fixedIps: Converter = (v, attr) => {
  if (!Array.isArray(v)) return invalid(attr, `Invalid data format for fixed IP: '${pyStr(v)}'`);
  const seen: unknown[] = [];
  return v.map((f: unknown) => {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return invalid(attr, `Invalid data format for fixed IP: '${pyStr(f)}'`);
    const given = f as Record<string, unknown>;
    const out: { ip_address?: string; subnet_id?: string } = {};
    if ('ip_address' in given) {
      if (seen.includes(given.ip_address)) return invalid(attr, `Duplicate IP address '${pyStr(given.ip_address)}'`);
      const ip = typeof given.ip_address === 'string' ? canonicalIp(given.ip_address) : undefined;
      if (ip === undefined) return invalid(attr, `'${pyStr(given.ip_address)}' is not a valid IP address`);
      seen.push(given.ip_address);
      out.ip_address = ip;
    }
    if ('subnet_id' in given) {
      if (!isUuid(given.subnet_id)) return invalid(attr, `'${pyStr(given.subnet_id)}' is not a valid UUID`);
      out.subnet_id = given.subnet_id;
    }
    return out;
  });
};

/** neutron-lib's VALID_BLANK_EXTRA_DHCP_OPTS: the options whose value may be empty. */
const BLANK_DHCP_OPTS = new Set(['router', 'classless-static-route']);

const onelineNotEmpty = (x: unknown, max: number): boolean =>
  typeof x === 'string' && x.trim() !== '' && x.length <= max && x.split(/\r\n|\r|\n/).length <= 1;

/** One of EXTRA_DHCP_OPT_KEY_SPECS matches (validate_dict): required keys, no others, each value good. */
function dhcpOptMatches(o: Record<string, unknown>): boolean {
  if (!('opt_name' in o) || !('opt_value' in o)) return false;
  if (Object.keys(o).some((k) => k !== 'opt_name' && k !== 'opt_value' && k !== 'ip_version')) return false;
  if ('ip_version' in o) {
    o.ip_version = toInt(o.ip_version);
    if (o.ip_version !== 4 && o.ip_version !== 6) return false;
  }
  const { opt_name: name, opt_value: value } = o;
  const blankSpec = typeof name === 'string' && BLANK_DHCP_OPTS.has(name) && (value === null || (typeof value === 'string' && value.length <= 255));
  const plainSpec = onelineNotEmpty(name, 64) && (value === null || onelineNotEmpty(value, 255));
  return blankSpec || plainSpec;
}

/**
 * extra_dhcp_opts' type:list_of_any_key_specs_or_none: a list of unique dicts, each matching one of
 * Neutron's key specs (a "router" option may be blank, others not; ip_version 4 or 6); every
 * refusal is an InvalidInput in the validator's words.
 */
export const extraDhcpOpts: Converter = (v) => {
  if (v === null) return [];
  if (!Array.isArray(v)) return unconvertible(`'${pyStr(v)}' is not a list`);
  const keys = v.map((x) => JSON.stringify(x));
  const dups = keys.filter((k, i) => keys.indexOf(k) !== i).filter((k, i, a) => a.indexOf(k) === i);
  if (dups.length) return unconvertible(`Duplicate items in the list: '${dups.map((d) => pyStr(JSON.parse(d))).join(', ')}'`);
  return v.map((x: unknown) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return unconvertible(`No valid key specs matched for: ${pyStr(x)}`);
    const given = x as Record<string, unknown>;
    const o = { ...given };
    if (!dhcpOptMatches(o)) return unconvertible(`No valid key specs matched for: ${pyStr(given)}`);
    return o;
  });
};

export const dict: Converter = (v, attr) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return invalid(attr, `${show(v)} is not a dictionary`);
  }
  return v;
};

export const dictOrNull: Converter = (v, attr) => (v === null ? null : dict(v, attr));

/** A dict with known keys only, each checked by its own converter; `required` keys must be present. */
export function shape(
  fields: Record<string, Converter>,
  required: readonly string[] = [],
): Converter {
  return (v, attr) => {
    const d = dict(v, attr) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(d)) {
      const conv = fields[key];
      if (!conv) return invalid(attr, `Unrecognized attribute(s) '${key}'`);
      // neutron-lib's dict validators name the attribute, not the key.
      out[key] = conv(d[key], attr);
    }
    for (const key of required) {
      if (!(key in out)) return invalid(attr, `Required key '${key}' not specified`);
    }
    return out;
  };
}

export const MAX_TAG_LEN = 255;

/** neutron-lib's validate_string: the message it returns, or undefined when the value is good. */
export function validateString(v: unknown, maxLen?: number): string | undefined {
  if (typeof v !== 'string') return `'${pyStr(v)}' is not a valid string`;
  if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
  return undefined;
}

/**
 * neutron-lib's validate_list_of_unique_strings (_validate_list_of_items): not a list, then the
 * duplicates (each named once), then the first bad item.
 */
export function validateListOfUniqueStrings(v: unknown, maxLen?: number): string | undefined {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  const seen: string[] = [];
  const dups: string[] = [];
  for (const x of v) {
    const key = JSON.stringify(x);
    if (seen.includes(key)) {
      if (!dups.includes(key)) dups.push(key);
    } else seen.push(key);
  }
  if (dups.length) return `Duplicate items in the list: '${dups.map((d) => pyStr(JSON.parse(d))).join(', ')}'`;
  for (const x of v) {
    const msg = validateString(x, maxLen);
    if (msg) return msg;
  }
  return undefined;
}

/** A port's tags at create (tag-ports-during-bulk-creation): type:list_of_unique_strings, a 400. */
export const tagList: Converter = (v, attr) => {
  const msg = validateListOfUniqueStrings(v, MAX_TAG_LEN);
  if (msg) return invalid(attr, msg);
  return v;
};

/** A rule's protocol: a name or a number 0-255, numbers given as JSON numbers kept as text. */
export const protocol: Converter = (value, attr) => {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  return string(255)(value, attr);
};

/** Neutron's convert_validate_port_value: an integer 0-65535, or a string of one. */
export const portValue: Converter = (value) => {
  if (value === null) return null;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new SecurityGroupInvalidPortValue(`Invalid value for port ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return n;
};
