import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PageQueryDto } from '../../common/http/pagination';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { ApiKeysService } from './api-keys.service';
import { CurrentPrincipal, Roles } from './auth.decorators';
import {
  ApiKeyPageDto,
  ApiKeyResponseDto,
  CreatedApiKeyResponseDto,
  mapApiKey,
} from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { Principal } from './principal';

@ApiTags('api-keys')
@Controller('api-keys')
@Roles('admin')
@ApiValidationResponses()
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Creates a key. The secret is in this response only: it is stored as a hash. */
  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  async create(
    @Body() dto: CreateApiKeyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKeyResponseDto> {
    const { key, secret } = await this.apiKeys.create(dto, principal);
    return { ...mapApiKey(key), key: secret };
  }

  /** Lists keys, newest first (never their secrets). */
  @Get()
  @ApiOkResponse({ type: ApiKeyPageDto })
  async list(@Query() query: PageQueryDto): Promise<ApiKeyPageDto> {
    const page = await this.apiKeys.list(query.limit, query.cursor);
    return { data: page.data.map(mapApiKey), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(@Param('id', uuidParam()) id: string): Promise<ApiKeyResponseDto> {
    return mapApiKey(await this.apiKeys.get(id));
  }

  /** Revokes a key at once, in every API process. */
  @Delete(':id')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async revoke(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiKeyResponseDto> {
    return mapApiKey(await this.apiKeys.revoke(id, principal));
  }
}
