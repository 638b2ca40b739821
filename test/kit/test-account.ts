/** The account and region every test, the demo and the benchmark play in (moto's own default account aside). */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
