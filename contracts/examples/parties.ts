/* Who and what the examples are about: the two provinces, their keys, the license and its ids. */

/** 上海市住房和城乡建设管理委员会 and 浙江省住房和城乡建设厅, as in federation/provinces.ts. */
export const SHANGHAI_HOUSING = {
  name: '上海市住房和城乡建设管理委员会',
  uscc: '113100000024601315',
} as const;
export const ZHEJIANG_HOUSING = { name: '浙江省住房和城乡建设厅', uscc: '11330000002502880R' } as const;

/** 建筑施工特种作业人员操作资格证书, a nationally defined license type. */
export const TYPE_CODE = '11100000000013338W032';
export const TYPE_NAME = '建筑施工特种作业人员操作资格证书';

/** The first license of 2026 of this type in Shanghai, version 001 and its change to 002. */
export const IDENTIFIER = `1.2.156.3005.2.${TYPE_CODE}.${SHANGHAI_HOUSING.uscc}.2026000001.001.8`;
export const IDENTIFIER_V2 = `1.2.156.3005.2.${TYPE_CODE}.${SHANGHAI_HOUSING.uscc}.2026000001.002.6`;

export const AGREEMENT_ID = 'agr_01KJKHZE803MXDD5AW2RGV0PAE';
export const EVENT_ID = '01KJKHZE80F5Q33DXZ3D9J1ECM';
export const TRACE_ID = '71ff49dcc8e40cab4218f2c3f6473eae';

export const SHANGHAI_KIDS = {
  credential: '789WlrEO6q1sn9MPkVjFfEdJQdFyYKjfC9KzrL9zZ9E',
  gateway: '1OFV-OYm6nJtl_R-vyOo39g_saomleYf2QydFfCiFak',
  audit: 'gDWT5pBPeODuAWO4ZCm3V_D2K8GbXV29aZ3dbch7fGA',
} as const;
export const ZHEJIANG_GATEWAY_KID = 'oS2H0b8h1KXqfJ8a3mNn5WvQeZr7tYc4uLdP6gEjBkA';
