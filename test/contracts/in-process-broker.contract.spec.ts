import { InProcessBroker } from '@platform/messaging';
import { describeBrokerContract } from './broker.contract';

describeBrokerContract('InProcessBroker', async () => new InProcessBroker());
