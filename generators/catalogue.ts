import type { Faker } from '@faker-js/faker';
import { faker as english } from '@faker-js/faker/locale/en';

/**
 * Pools of realistic values built once per seed. Faker is far too slow per record, so records
 * draw from these pools by index arithmetic instead.
 */

export interface Product {
  id: string;
  name: string;
  category: string;
  basePrice: number;
}

/** Seed 001's eight categories, with item names a shop in each would sell. */
const categories: Record<string, readonly string[]> = {
  Electronics: ['Wireless Headphones', 'Smart Watch', 'Bluetooth Speaker', 'USB-C Charger', 'Mechanical Keyboard', 'Webcam', 'Tablet Stand', 'Power Bank'],
  Clothing: ['Cotton T-Shirt', 'Denim Jeans', 'Wool Sweater', 'Running Shorts', 'Rain Jacket', 'Linen Shirt', 'Hoodie', 'Sneakers'],
  'Home & Garden': ['Table Lamp', 'Plant Pot', 'Throw Pillow', 'Garden Hose', 'Wall Clock', 'Scented Candle', 'Door Mat', 'Picture Frame'],
  Sports: ['Yoga Mat', 'Dumbbell Set', 'Tennis Racket', 'Water Bottle', 'Cycling Gloves', 'Jump Rope', 'Football', 'Resistance Bands'],
  Books: ['Mystery Novel', 'Cookbook', 'Travel Guide', 'Sci-Fi Anthology', 'Biography', 'Poetry Collection', 'Graphic Novel', 'History Atlas'],
  Beauty: ['Face Serum', 'Lip Balm', 'Hair Dryer', 'Nail Polish', 'Sunscreen', 'Shampoo', 'Perfume', 'Makeup Brush Set'],
  Toys: ['Building Blocks', 'Puzzle', 'Plush Bear', 'Toy Car', 'Board Game', 'Kite', 'Doll House', 'Water Pistol'],
  'Food & Grocery': ['Coffee Beans', 'Green Tea', 'Olive Oil', 'Dark Chocolate', 'Granola', 'Honey Jar', 'Pasta Pack', 'Spice Set'],
};

export const categoryNames = Object.keys(categories);

function seededFaker(seed: number): Faker {
  // The English entry point, not the package's (which loads every locale: ~0.7 s of each CLI start).
  // Its definitions are en's with base's behind them; everything used here is in en, so the values
  // are the same (the golden digests in test/unit/generators.test.ts pin them).
  const EnglishFaker = english.constructor as typeof Faker;
  const faker = new EnglishFaker({ locale: [english.rawDefinitions] });
  faker.seed(seed);
  return faker;
}

const catalogues = new Map<string, Product[]>();

/** At least 50 products over the 8 categories, base prices 9.99-299.99 (seed 001). */
export function productCatalogue(seed: number, size = 64): Product[] {
  const cacheKey = `${seed}:${size}`;
  const cached = catalogues.get(cacheKey);
  if (cached) return cached;
  const faker = seededFaker(seed);
  const products: Product[] = [];
  for (let i = 0; i < size; i++) {
    const category = categoryNames[i % categoryNames.length] as string;
    const items = categories[category] as readonly string[];
    const item = items[Math.floor(i / categoryNames.length) % items.length] as string;
    products.push({
      id: `PROD_${String(i + 1).padStart(6, '0')}`,
      name: `${faker.commerce.productAdjective()} ${item}`,
      category,
      basePrice: Math.round(faker.number.float({ min: 9.99, max: 299.99 }) * 100) / 100,
    });
  }
  catalogues.set(cacheKey, products);
  return products;
}

/** Seed 001's user ids: USER_000001 .. USER_<size>. */
export function userPool(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `USER_${String(i + 1).padStart(6, '0')}`);
}

const summonerPools = new Map<string, string[]>();

export function summonerNames(seed: number, size = 5000): string[] {
  const cacheKey = `${seed}:${size}`;
  const cached = summonerPools.get(cacheKey);
  if (cached) return cached;
  const faker = seededFaker(seed ^ 0x1f2e3d4c);
  const names = Array.from({ length: size }, () => faker.internet.username().slice(0, 16));
  summonerPools.set(cacheKey, names);
  return names;
}

/** The live roster's champion names (Riot's `championName` spelling). */
export const champions: readonly string[] = [
  'Aatrox',
  'Ahri',
  'Akali',
  'Akshan',
  'Alistar',
  'Ambessa',
  'Amumu',
  'Anivia',
  'Annie',
  'Aphelios',
  'Ashe',
  'AurelionSol',
  'Aurora',
  'Azir',
  'Bard',
  'Belveth',
  'Blitzcrank',
  'Brand',
  'Braum',
  'Briar',
  'Caitlyn',
  'Camille',
  'Cassiopeia',
  'Chogath',
  'Corki',
  'Darius',
  'Diana',
  'DrMundo',
  'Draven',
  'Ekko',
  'Elise',
  'Evelynn',
  'Ezreal',
  'Fiddlesticks',
  'Fiora',
  'Fizz',
  'Galio',
  'Gangplank',
  'Garen',
  'Gnar',
  'Gragas',
  'Graves',
  'Gwen',
  'Hecarim',
  'Heimerdinger',
  'Hwei',
  'Illaoi',
  'Irelia',
  'Ivern',
  'Janna',
  'JarvanIV',
  'Jax',
  'Jayce',
  'Jhin',
  'Jinx',
  'KSante',
  'Kaisa',
  'Kalista',
  'Karma',
  'Karthus',
  'Kassadin',
  'Katarina',
  'Kayle',
  'Kayn',
  'Kennen',
  'Khazix',
  'Kindred',
  'Kled',
  'KogMaw',
  'Leblanc',
  'LeeSin',
  'Leona',
  'Lillia',
  'Lissandra',
  'Lucian',
  'Lulu',
  'Lux',
  'Malphite',
  'Malzahar',
  'Maokai',
  'MasterYi',
  'Mel',
  'Milio',
  'MissFortune',
  'MonkeyKing',
  'Mordekaiser',
  'Morgana',
  'Naafiri',
  'Nami',
  'Nasus',
  'Nautilus',
  'Neeko',
  'Nidalee',
  'Nilah',
  'Nocturne',
  'Nunu',
  'Olaf',
  'Orianna',
  'Ornn',
  'Pantheon',
  'Poppy',
  'Pyke',
  'Qiyana',
  'Quinn',
  'Rakan',
  'Rammus',
  'RekSai',
  'Rell',
  'Renata',
  'Renekton',
  'Rengar',
  'Riven',
  'Rumble',
  'Ryze',
  'Samira',
  'Sejuani',
  'Senna',
  'Seraphine',
  'Sett',
  'Shaco',
  'Shen',
  'Shyvana',
  'Singed',
  'Sion',
  'Sivir',
  'Skarner',
  'Smolder',
  'Sona',
  'Soraka',
  'Swain',
  'Sylas',
  'Syndra',
  'TahmKench',
  'Taliyah',
  'Talon',
  'Taric',
  'Teemo',
  'Thresh',
  'Tristana',
  'Trundle',
  'Tryndamere',
  'TwistedFate',
  'Twitch',
  'Udyr',
  'Urgot',
  'Varus',
  'Vayne',
  'Veigar',
  'Velkoz',
  'Vex',
  'Vi',
  'Viego',
  'Viktor',
  'Vladimir',
  'Volibear',
  'Warwick',
  'Xayah',
  'Xerath',
  'XinZhao',
  'Yasuo',
  'Yone',
  'Yorick',
  'Yunara',
  'Yuumi',
  'Zac',
  'Zed',
  'Zeri',
  'Ziggs',
  'Zilean',
  'Zoe',
  'Zyra',
];
