export interface Region {
  code: string;
  name: string;
  level: 'province' | 'city';
  parentCode: string | null;
}

const PROVINCES: Region[] = [
  { code: '310000', name: '上海市', level: 'province', parentCode: null },
  { code: '320000', name: '江苏省', level: 'province', parentCode: null },
  { code: '330000', name: '浙江省', level: 'province', parentCode: null },
  { code: '340000', name: '安徽省', level: 'province', parentCode: null },
];

// Prefecture-level cities of the three provinces (GB/T 2260); Shanghai's districts issue nothing of their own.
const CITIES: Record<string, [string, string][]> = {
  '320000': [
    ['320100', '南京市'],
    ['320200', '无锡市'],
    ['320300', '徐州市'],
    ['320400', '常州市'],
    ['320500', '苏州市'],
    ['320600', '南通市'],
    ['320700', '连云港市'],
    ['320800', '淮安市'],
    ['320900', '盐城市'],
    ['321000', '扬州市'],
    ['321100', '镇江市'],
    ['321200', '泰州市'],
    ['321300', '宿迁市'],
  ],
  '330000': [
    ['330100', '杭州市'],
    ['330200', '宁波市'],
    ['330300', '温州市'],
    ['330400', '嘉兴市'],
    ['330500', '湖州市'],
    ['330600', '绍兴市'],
    ['330700', '金华市'],
    ['330800', '衢州市'],
    ['330900', '舟山市'],
    ['331000', '台州市'],
    ['331100', '丽水市'],
  ],
  '340000': [
    ['340100', '合肥市'],
    ['340200', '芜湖市'],
    ['340300', '蚌埠市'],
    ['340400', '淮南市'],
    ['340500', '马鞍山市'],
    ['340600', '淮北市'],
    ['340700', '铜陵市'],
    ['340800', '安庆市'],
    ['341000', '黄山市'],
    ['341100', '滁州市'],
    ['341200', '阜阳市'],
    ['341300', '宿州市'],
    ['341500', '六安市'],
    ['341600', '亳州市'],
    ['341700', '池州市'],
    ['341800', '宣城市'],
  ],
};

export const REGIONS: Region[] = [
  ...PROVINCES,
  ...Object.entries(CITIES).flatMap(([parentCode, cities]) =>
    cities.map(([code, name]): Region => ({ code, name, level: 'city', parentCode })),
  ),
];

export const REGION_CODES = REGIONS.map((r) => r.code);
const BY_CODE = new Map(REGIONS.map((r) => [r.code, r]));
export const isKnownRegion = (code: string): boolean => BY_CODE.has(code);
export const PROVINCE_CODES = PROVINCES.map((p) => p.code);
export const regionName = (code: string): string => BY_CODE.get(code)?.name ?? code;

/** GB/T 2260: the first two digits name the province. */
export const provinceOfRegion = (regionCode: string): string => `${regionCode.slice(0, 2)}0000`;

/** Serial prefix of a region's vouchers: the province's. */
export const SERIAL_PREFIX: Record<string, string> = { '310000': 'SH', '320000': 'JS', '330000': 'ZJ', '340000': 'AH' };

/**
 * API.md: an organization's region is the city of its credit code when that city is listed, else the
 * province (first two digits + 0000).
 */
export function regionOfRegistration(code6: string): { regionCode: string; provinceCode: string } {
  const provinceCode = provinceOfRegion(code6);
  const cityCode = `${code6.slice(0, 4)}00`;
  return { regionCode: BY_CODE.get(cityCode)?.level === 'city' ? cityCode : provinceCode, provinceCode };
}

const PROVINCIAL_BUREAUS: Record<string, string> = {
  '310000': '上海市科学技术委员会',
  '320000': '江苏省科学技术厅',
  '330000': '浙江省科学技术厅',
  '340000': '安徽省科学技术厅',
};

/** The science bureau that issues a region's vouchers. */
export const bureauName = (code: string): string => PROVINCIAL_BUREAUS[code] ?? `${regionName(code)}科学技术局`;

/** The bureaus that act on a region, in Chinese: a city's own and its province's; a province's (or municipality's) own. */
export const bureausOver = (code: string): string => {
  const province = provinceOfRegion(code);
  return province === code ? bureauName(code) : `${bureauName(code)}或${bureauName(province)}`;
};
