import { Company } from '../companies/company.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { User } from '../users/user.entity';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { Followup } from '../followups/followup.entity';
import { JourneyEvent } from '../journey/journey-event.entity';
import { AuditLog } from '../audit/audit-log.entity';

export const ENTITIES = [Company, OrgUnit, User, Customer, Lead, Followup, JourneyEvent, AuditLog];
