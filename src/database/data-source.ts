import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseConfig, loadEnvFiles } from '../config/configuration';

import { dataSourceOptions } from './data-source-options';

/** For the TypeORM CLI (`npm run migration:generate`). */
loadEnvFiles();
export default new DataSource(dataSourceOptions(databaseConfig()));
