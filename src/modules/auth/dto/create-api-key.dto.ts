import { IsIn, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { ROLES, type Role } from '../api-key-format';

export class CreateApiKeyDto {
  /** What the key is for, e.g. "Silk Road Charter feed". */
  @IsString()
  @Length(1, 100)
  name: string;

  /** What the key may do. */
  @IsIn(ROLES)
  role: Role;

  /** The carrier a `carrier` key is bound to; required for that role and refused for others. */
  @ValidateIf((o: CreateApiKeyDto) => o.role === 'carrier' || o.carrierId !== undefined)
  @IsUUID()
  carrierId?: string;
}
