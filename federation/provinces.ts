import { makeUscc } from '../contracts/codes/index.ts';

export interface Department {
  name: string;
  uscc: string;
}

export interface ProvinceSpec {
  id: string;
  name: string;
  port: number;
  departments: Department[];
  /**
   * Who witnesses this province's log, and the quorum (docs/protocol.md §19): each Yangtze River
   * Delta member by the other three with quorum 2, Sichuan by Shanghai and Jiangsu with quorum 2.
   */
  witnessedBy: { witnesses: string[]; quorum: number };
}

/**
 * The local federation of docs/protocol.md §15: four Yangtze River Delta provinces and Sichuan,
 * province `PP0000` on port `80PP`. Department codes are valid USCCs of each province's area.
 */
export const FEDERATION: readonly ProvinceSpec[] = [
  {
    id: '310000',
    name: '上海市',
    port: 8031,
    departments: [
      { name: '上海市住房和城乡建设管理委员会', uscc: '113100000024601315' },
      { name: '上海市市场监督管理局', uscc: makeUscc('11310000', '00224413') },
    ],
    witnessedBy: { witnesses: ['320000', '330000', '340000'], quorum: 2 },
  },
  {
    id: '320000',
    name: '江苏省',
    port: 8032,
    departments: [
      { name: '江苏省住房和城乡建设厅', uscc: '11320000014000618Y' },
      { name: '江苏省市场监督管理局', uscc: makeUscc('11320000', '01400214') },
    ],
    witnessedBy: { witnesses: ['310000', '330000', '340000'], quorum: 2 },
  },
  {
    id: '330000',
    name: '浙江省',
    port: 8033,
    departments: [
      { name: '浙江省住房和城乡建设厅', uscc: '11330000002502880R' },
      { name: '浙江省市场监督管理局', uscc: makeUscc('11330000', '00250106') },
    ],
    witnessedBy: { witnesses: ['310000', '320000', '340000'], quorum: 2 },
  },
  {
    id: '340000',
    name: '安徽省',
    port: 8034,
    departments: [
      { name: '安徽省住房和城乡建设厅', uscc: makeUscc('11340000', '00299230') },
      { name: '安徽省市场监督管理局', uscc: makeUscc('11340000', '00299478') },
    ],
    witnessedBy: { witnesses: ['310000', '320000', '330000'], quorum: 2 },
  },
  {
    id: '510000',
    name: '四川省',
    port: 8051,
    departments: [
      { name: '四川省住房和城乡建设厅', uscc: makeUscc('11510000', '00869512') },
      { name: '四川省市场监督管理局', uscc: makeUscc('11510000', '00869636') },
    ],
    witnessedBy: { witnesses: ['310000', '320000'], quorum: 2 },
  },
];

/** A license type defined nationally: 建筑施工特种作业人员操作资格证书. */
export const SAMPLE_TYPE = {
  code: '11100000000013338W032',
  name: '建筑施工特种作业人员操作资格证书',
} as const;
