export { peopleRoutes } from './people.routes';
export { TransferWorker, type TransferWorkerOptions, type TransferStats } from './transfer-worker';
export { handOverLeaver, type Handover, type HandoverResult } from './handover';
