/**
 * The Objection models of the legacy tables, one file per table (table-name constant, row type,
 * model), and `booking_decisions`, which the worker owns. Query them with an explicit knex or
 * transaction: `Booking.query(trx)`.
 */
import { AdminAuditLog } from './admin-audit-log';
import { AdminInvitation } from './admin-invitation';
import { AdminRole } from './admin-role';
import { AdminSetting } from './admin-setting';
import { Booking } from './booking';
import { BookingFavorite } from './booking-favorite';
import { Device } from './device';
import { DeviceHealthSnapshot } from './device-health-snapshot';
import { DeviceHistory } from './device-history';
import { DeviceOwnership } from './device-ownership';
import { DeviceTag } from './device-tag';
import { DeviceType } from './device-type';
import { InventoryDevice } from './inventory-device';
import { InventoryDeviceTag } from './inventory-device-tag';
import { MaintenanceRecord } from './maintenance-record';
import { Manufacturer } from './manufacturer';
import { Site } from './site';
import { Tag } from './tag';
import { Topology } from './topology';
import { TopologyReview } from './topology-review';
import { User } from './user';

export * from './admin-audit-log';
export * from './admin-invitation';
export * from './admin-role';
export * from './admin-setting';
export * from './base';
export * from './booking';
export * from './booking-decision';
export * from './booking-favorite';
export * from './device';
export * from './device-health-snapshot';
export * from './device-history';
export * from './device-ownership';
export * from './device-tag';
export * from './device-type';
export * from './inventory-device';
export * from './inventory-device-tag';
export * from './maintenance-record';
export * from './manufacturer';
export * from './site';
export * from './tag';
export * from './topology';
export * from './topology-review';
export * from './user';

/** The models of the 21 legacy tables, referenced tables first (the order `create_all` uses). */
export const LEGACY_MODELS = [
  User,
  Device,
  DeviceType,
  Manufacturer,
  Site,
  Tag,
  Booking,
  BookingFavorite,
  Topology,
  TopologyReview,
  AdminRole,
  AdminAuditLog,
  AdminSetting,
  AdminInvitation,
  DeviceOwnership,
  DeviceTag,
  DeviceHealthSnapshot,
  InventoryDevice,
  InventoryDeviceTag,
  DeviceHistory,
  MaintenanceRecord,
] as const;
